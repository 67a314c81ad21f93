from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser
from domain.people.tables import Person


class Event(Table, tablename="events"):
    """`taken` counts seats held (registered, offered, attended, no-show); only conditional
    UPDATEs move it, and the recount task checks it against the registrations."""

    id = Serial(primary_key=True)
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    description = Text(default="")
    kind = Varchar(length=16, default="in_person")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    time_zone = Varchar(length=64, default="UTC")
    venue = Varchar(length=200, default="")
    join_url = Varchar(length=500, default="")
    capacity = Integer(null=True, default=None)
    taken = Integer(default=0)
    registration_deadline = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="draft", index=True)
    offer_hours = Integer(default=48)
    # [{"key", "label", "kind": text|choice|yes_no, "choices": [...], "required": bool}]
    questions = JSONB(default=[])
    # Talent communities the event is promoted to (shown on their pages).
    communities = Array(base_column=Integer(), default=list)
    # Host option: people with a no-show history go to the waiting list first.
    habitual_no_shows_waitlisted = Boolean(default=False)
    # Bumped on every change a calendar should pick up (iCalendar SEQUENCE).
    sequence = Integer(default=0)
    # Set when attendance was closed: registered-but-absent became no-shows.
    attendance_closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(null=True, default=None)


class EventHost(Table, tablename="event_hosts"):
    """Who may manage an event: its owner (the creator) and co-hosts."""

    id = Serial(primary_key=True)
    event = ForeignKey(references=Event, null=False, index=True)
    staff = ForeignKey(references=StaffUser, null=False, index=True)
    role = Varchar(length=16, default="co_host")
    created_at = Timestamptz()

    unique_event_staff = Unique(["event", "staff"])


class Registration(Table, tablename="event_registrations"):
    """registered | waitlisted | offered | cancelled | attended | no_show."""

    id = Serial(primary_key=True)
    event = ForeignKey(references=Event, null=False, index=True)
    person = ForeignKey(references=Person, null=False, index=True)
    status = Varchar(length=16, default="registered")
    # From a dedicated sequence (raw migration): FIFO order for the waitlist.
    position = BigInt(default=0)
    offer_expires_at = Timestamptz(null=True, default=None)
    # A waitlisted habitual no-show is offered a freed seat only from this time on.
    offers_from = Timestamptz(null=True, default=None)
    # Answers to the event's registration questions, by question key.
    answers = JSONB(default={})
    # portal | guest | manual | walk_in | import
    source = Varchar(length=16, default="portal")
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = Varchar(length=320, default="")
    # Virtual events: from the meeting tool's attendance report.
    joined_at = Timestamptz(null=True, default=None)
    attended_minutes = Integer(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    cancelled_at = Timestamptz(null=True, default=None)

    unique_event_person = Unique(["event", "person"])


class EventMessage(Table, tablename="event_messages"):
    """A host's message to an event's registrants (one email per recipient goes out)."""

    id = Serial(primary_key=True)
    event = ForeignKey(references=Event, null=False, index=True)
    # registered | attended | no_show | waitlisted | everyone
    audience = Varchar(length=16)
    subject = Varchar(length=200)
    body = Text()
    sent_by = Varchar(length=320)
    recipients = Integer(default=0)
    created_at = Timestamptz()

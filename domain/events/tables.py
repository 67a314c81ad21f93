from piccolo.columns import BigInt, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class Event(Table, tablename="events"):
    """`taken` counts seats held (registered + offered); only a conditional UPDATE moves it."""

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
    created_at = Timestamptz()


class Registration(Table, tablename="event_registrations"):
    """registered | waitlisted | offered | cancelled | attended | no_show."""

    id = Serial(primary_key=True)
    event = ForeignKey(references=Event, null=False, index=True)
    person = ForeignKey(references=Person, null=False, index=True)
    status = Varchar(length=16, default="registered")
    # From a dedicated sequence (raw migration): FIFO order for the waitlist.
    position = BigInt(default=0)
    offer_expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    cancelled_at = Timestamptz(null=True, default=None)

    unique_event_person = Unique(["event", "person"])

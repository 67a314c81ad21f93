from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class MarketingTemplate(Table, tablename="marketing_templates"):
    """A marketing email written by staff: subject and HTML body with merge fields
    ({{ first_name }}, …) rendered in a sandbox, a text body generated from the HTML unless
    edited, for one consent purpose. Saving requires the company postal address and the
    unsubscribe footer (domain.campaigns.templates). `version` goes up on every edit, so a
    campaign can tell the content it was approved with from a later one."""

    id = Serial(primary_key=True)
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    purpose = Varchar(length=40)
    subject = Varchar(length=200)
    html_body = Text()
    text_body = Text(default="")
    text_is_custom = Boolean(default=False)
    version = Integer(default=1)
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz()
    archived_at = Timestamptz(null=True, default=None)


class Campaign(Table, tablename="campaigns"):
    """One message to an audience, with its own copy of the content (started from a
    template, editable per campaign). `revision` goes up on every edit; approval records
    the revision it approved, and the sender sends only while the two are equal, so
    content edited after approval can never go out (any edit also returns it to draft).

    state: draft → submitted → approved → scheduled → sending ⇄ paused → finished, or
    cancelled. The sender is one process at a time: it holds `sender_fence` (a counter
    bumped by each new sender, checked on every write) with a lease in `sender_until`.
    """

    id = Serial(primary_key=True)
    name = Varchar(length=160)
    template = ForeignKey(references=MarketingTemplate, null=True, default=None,
                          on_delete=OnDelete.set_null)
    purpose = Varchar(length=40)
    # The consent scope the recipients must have given for `purpose` (the community slug
    # for community emails, the event's slug for event emails).
    consent_scope = Varchar(length=80, default="")
    subject = Varchar(length=200, default="")
    html_body = Text(default="")
    text_body = Text(default="")
    text_is_custom = Boolean(default=False)
    # Extra merge values the campaign is about (event_title, requisition).
    merge_values = JSONB(default={})
    # segment | pool | community | event | csv; ref = segment id, pool id, community
    # slug or event id; event_filter = registered | attended | no_show.
    audience_kind = Varchar(length=16, default="segment")
    audience_ref = Varchar(length=80, default="")
    event_filter = Varchar(length=16, default="")
    exclude_applicants = Boolean(default=True)
    state = Varchar(length=16, default="draft", index=True)
    revision = Integer(default=1)
    approved_revision = Integer(null=True, default=None)
    # Scheduling: start no earlier than send_at; in the recipient's time zone (profiles)
    # or a fixed one; only inside the window (days: ISO weekdays 1-7, hours [start, end)).
    send_at = Timestamptz(null=True, default=None)
    zone_mode = Varchar(length=16, default="fixed")
    time_zone = Varchar(length=64, default="UTC")
    window_days = Array(base_column=SmallInt(), default=list)
    window_start = SmallInt(null=True, default=None)
    window_end = SmallInt(null=True, default=None)
    rate_per_minute = Integer(null=True, default=None)
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz()
    submitted_by = Varchar(length=320, default="")
    submitted_at = Timestamptz(null=True, default=None)
    approved_by = Varchar(length=320, default="")
    approved_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    paused_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    # The sender: fencing counter, lease, and how far the audience was materialised
    # (keyset over person id; `audience_done` once every recipient has a send row).
    sender_fence = BigInt(default=0)
    sender_until = Timestamptz(null=True, default=None)
    audience_cursor = BigInt(default=0)
    audience_done = Boolean(default=False)
    recipients = Integer(default=0)


class CampaignCsvPerson(Table, tablename="campaign_csv_people"):
    """The audience of a CSV campaign: existing people matched from the uploaded file."""

    id = BigSerial(primary_key=True)
    campaign = ForeignKey(references=Campaign, null=False, on_delete=OnDelete.cascade)
    person = ForeignKey(references=Person, null=False, index=True,
                        on_delete=OnDelete.cascade)

    unique_campaign_person = Unique(["campaign", "person"])


class MarketingSend(Table, tablename="marketing_sends"):
    """One marketing email to one person: a campaign's (unique per campaign and person)
    or a nurture sequence step's (unique per enrolment and step).

    state: queued → sending → sent | failed | in_doubt, or skipped (not eligible at send
    time, `reason` says why). A send whose worker died between SMTP acceptance and the
    state update stays `sending` and becomes `in_doubt`: listed for a person to decide,
    never resent automatically. `not_before` holds a recipient outside the send window.
    Opens, clicks, replies and bounces are rolled up here by the tracking writer."""

    id = BigSerial(primary_key=True)
    campaign = ForeignKey(references=Campaign, null=True, default=None,
                          on_delete=OnDelete.cascade)
    enrollment = BigInt(null=True, default=None)
    step_key = Varchar(length=40, default="")
    person = ForeignKey(references=Person, null=False, on_delete=OnDelete.cascade)
    batch = Integer(default=0)
    state = Varchar(length=12, default="queued")
    reason = Varchar(length=40, default="")
    not_before = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    claimed_by = Varchar(length=80, default="")
    claimed_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    message_id = Varchar(length=200, default="")
    reply_token = Varchar(length=40, default="")
    error = Text(default="")
    decided_by = Varchar(length=320, default="")
    decided_at = Timestamptz(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    opens = Integer(default=0)
    clicked_at = Timestamptz(null=True, default=None)
    clicks = Integer(default=0)
    replied_at = Timestamptz(null=True, default=None)
    bounced_at = Timestamptz(null=True, default=None)
    bounce_kind = Varchar(length=12, default="")
    unsubscribed_at = Timestamptz(null=True, default=None)


class TrackedLink(Table, tablename="tracked_links"):
    """A link of one piece of content (`content_key`: "campaign:<id>:<revision>" or
    "sequence:<id>:<version>:<step>"). Click tokens sign (send id, link id), so only the
    URLs stored here for that content can ever be redirected to."""

    id = BigSerial(primary_key=True)
    content_key = Varchar(length=80)
    url = Text()
    position = Integer(default=0)
    clicks = Integer(default=0)
    unique_clicks = Integer(default=0)

    unique_content_url = Unique(["content_key", "url"])


class TrackingEvent(Table, tablename="tracking_events"):
    """Opens and clicks as the buffered writer flushed them. `flag`: '' | proxy |
    prefetch (opens by privacy proxies and link scanners, kept but weighed less)."""

    id = BigSerial(primary_key=True)
    send = ForeignKey(references=MarketingSend, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=8)
    link = BigInt(null=True, default=None)
    flag = Varchar(length=12, default="")
    occurred_at = Timestamptz()
    # The hit's id from the buffer: a replayed flush inserts nothing twice.
    hit_id = Varchar(length=40, unique=True)


class InboundMessage(Table, tablename="inbound_messages"):
    """Mail that came back: a reply (shown on the person's timeline), a bounce (RFC 3464
    report or the provider webhook), a complaint, or unmatched."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=12)
    send = ForeignKey(references=MarketingSend, null=True, default=None,
                      on_delete=OnDelete.set_null)
    person = ForeignKey(references=Person, null=True, default=None, index=True,
                        on_delete=OnDelete.cascade)
    source = Varchar(length=16, default="smtp")
    from_address = Varchar(length=320, default="")
    subject = Varchar(length=300, default="")
    body_text = Text(default="")
    bounce_kind = Varchar(length=12, default="")
    status_code = Varchar(length=16, default="")
    diagnostic = Text(default="")
    message_id = Varchar(length=300, default="")
    received_at = Timestamptz()


class MarketingSettings(Table, tablename="marketing_settings"):
    """One row (id 1): the frequency cap across campaigns and sequences, and the marketing
    pause the complaint rate can set (and an admin lift)."""

    id = Serial(primary_key=True)
    cap_messages = SmallInt(default=2)
    cap_days = SmallInt(default=7)
    paused_at = Timestamptz(null=True, default=None)
    paused_reason = Text(default="")
    complaint_warned_at = Timestamptz(null=True, default=None)
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz(null=True, default=None)

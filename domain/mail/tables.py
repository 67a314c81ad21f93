from piccolo.columns import (
    JSONB,
    BigSerial,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from domain.people.tables import Person


class OutboundEmail(Table, tablename="outbound_emails"):
    """One email we intend to send. `dedupe_key` is unique so a retried request or task
    can never create a second copy; `state` moves queued -> sending -> sent | failed."""

    id = BigSerial(primary_key=True)
    person = ForeignKey(references=Person, null=True, index=True, on_delete=OnDelete.set_null)
    to_address = Varchar(length=320)
    template = Varchar(length=80)
    context = JSONB(default={})
    kind = Varchar(length=16, default="transactional")
    state = Varchar(length=16, default="queued", index=True)
    dedupe_key = Varchar(length=200, unique=True)
    subject = Text(default="")
    message_id = Varchar(length=200, default="")
    attempts = Integer(default=0)
    last_error = Text(default="")
    created_at = Timestamptz()
    claimed_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)

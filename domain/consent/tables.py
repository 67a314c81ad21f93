from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class ConsentText(Table, tablename="consent_texts"):
    """The exact wording shown for a purpose; immutable once written, new wording = new version."""

    id = Serial(primary_key=True)
    purpose = Varchar(length=40)
    version = Integer()
    body = Text()
    created_at = Timestamptz()

    unique_purpose_version = Unique(["purpose", "version"])


class ConsentRecord(Table, tablename="consent_records"):
    """Append-only ledger. Current consent is the latest given/withdrawn row per purpose+scope."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False)  # consent_person_purpose_idx serves
    purpose = Varchar(length=40)
    scope = Varchar(length=80, default="")
    # RESTRICT: the ledger quotes the exact text; deleting a text must never erase entries.
    consent_text = ForeignKey(references=ConsentText, null=True, on_delete=OnDelete.restrict)
    action = Varchar(length=16)
    method = Varchar(length=32)
    occurred_at = Timestamptz()
    ip = Varchar(length=64, null=True, default=None)
    user_agent = Varchar(length=400, null=True, default=None)


class ConsentPolicy(Table, tablename="consent_policies"):
    """How long consent for a purpose lasts before it must be renewed."""

    id = Serial(primary_key=True)
    purpose = Varchar(length=40, unique=True)
    expiry_months = Integer(default=24)
    reminder_days = Integer(default=30)
    updated_at = Timestamptz()


class Suppression(Table, tablename="suppressions"):
    """Addresses we must never email again (erased, hard bounce, complaint), kept only as
    a keyed hash so erasure leaves no readable address behind."""

    id = Serial(primary_key=True)
    email_hash = Varchar(length=64, unique=True)
    reason = Varchar(length=40)
    # hard_bounce: the bounce type (RFC 3464 status, e.g. 5.1.1); complaint: the source.
    detail = Varchar(length=120, default="")
    created_at = Timestamptz()

from piccolo.columns import (
    JSONB,
    BigInt,
    ForeignKey,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from domain.people.tables import Person


class DataRequest(Table, tablename="data_requests"):
    """A data-subject request (export or erasure), tracked to its legal due date.
    Outlives the person it was about: `person` becomes NULL on erasure."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=True, on_delete=OnDelete.set_null, index=True)
    kind = Varchar(length=16)
    status = Varchar(length=16, default="received", index=True)
    received_at = Timestamptz()
    due_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)
    detail = JSONB(default={})


class DataExport(Table, tablename="data_exports"):
    """A generated archive for an export request, downloadable by its owner until expiry."""

    id = Serial(primary_key=True)
    request = ForeignKey(references=DataRequest, null=False, unique=True)
    person = ForeignKey(references=Person, null=True, on_delete=OnDelete.cascade, index=True)
    storage_key = Varchar(length=80, unique=True)
    size_bytes = BigInt()
    created_at = Timestamptz()
    expires_at = Timestamptz()
    downloaded_at = Timestamptz(null=True, default=None)


class LegalHold(Table, tablename="legal_holds"):
    """Blocks purging a person's retained records (e.g. an EEOC charge) until released."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, on_delete=OnDelete.restrict, index=True)
    reason = Text()
    placed_by = Varchar(length=320)
    placed_at = Timestamptz()
    released_at = Timestamptz(null=True, default=None)

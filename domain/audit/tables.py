from piccolo.columns import JSONB, BigSerial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entries"):
    """Append-only record of security events and decisions: who did what, when, from where."""

    id = BigSerial(primary_key=True)
    occurred_at = Timestamptz()
    actor = Varchar(length=320, default="")
    action = Varchar(length=60)
    subject = Varchar(length=200, default="")
    ip = Varchar(length=64, default="")
    detail = JSONB(default={})

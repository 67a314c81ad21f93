from piccolo.columns import JSONB, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxMessage(Table, tablename="outbox_messages"):
    """A task written in the same transaction as the change that needs it; relayed to the
    queue after commit (and by a periodic relay), so a crash in between loses nothing."""

    id = BigSerial(primary_key=True)
    task = Varchar(length=80)
    args = JSONB(default=[])
    created_at = Timestamptz()
    enqueued_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")

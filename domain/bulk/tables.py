from piccolo.columns import JSONB, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class BulkAction(Table, tablename="bulk_actions"):
    """A bulk action run as a task. kind: add_to_pool | set_pool_stage | tag |
    invite_to_event | export_csv. `target` says who ({"person_ids": [...]} or
    {"segment": definition} or {"pool": id}), `params` what (pool id, stage, tags, event
    slug). status: queued → running → done | failed; `done` counts people processed, so
    the page shows progress; an export's file is under the var directory by storage_key."""

    id = Serial(primary_key=True)
    kind = Varchar(length=24)
    target = JSONB(default={})
    params = JSONB(default={})
    status = Varchar(length=16, default="queued")
    total = Integer(default=0)
    done = Integer(default=0)
    changed = Integer(default=0)
    storage_key = Varchar(length=80, null=True, default=None, unique=True)
    message = Text(default="")
    created_by = Varchar(length=320)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)

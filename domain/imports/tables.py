from piccolo.columns import JSONB, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class PeopleImport(Table, tablename="people_imports"):
    """One uploaded CSV file of people. status: uploaded → mapped → queued → running →
    done | failed. `mapping` is {csv column: person field}; `errors` holds the first
    problems found as [{"row", "column", "reason"}]; the file itself is stored under the
    var directory by `storage_key` and removed when the import finishes."""

    id = Serial(primary_key=True)
    filename = Varchar(length=200)
    storage_key = Varchar(length=80, unique=True)
    status = Varchar(length=16, default="uploaded")
    headers = JSONB(default=[])
    mapping = JSONB(default={})
    lawful_basis = Varchar(length=32, default="")
    community = Varchar(length=80, default="")
    tag = Varchar(length=60, default="")
    source = Varchar(length=40, default="import")
    total_rows = Integer(default=0)
    processed_rows = Integer(default=0)
    created_people = Integer(default=0)
    updated_people = Integer(default=0)
    error_count = Integer(default=0)
    errors = JSONB(default=[])
    message = Text(default="")
    created_by = Varchar(length=320)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)

from piccolo.columns import Serial, Timestamptz, Varchar
from piccolo.table import Table


class Person(Table, tablename="people"):
    """One record per human, keyed by normalised email (see people.rules.normalise_email)."""

    id = Serial(primary_key=True)
    email = Varchar(length=320, unique=True)
    full_name = Varchar(length=200, default="")
    source = Varchar(length=40, default="portal")
    created_at = Timestamptz()
    updated_at = Timestamptz()

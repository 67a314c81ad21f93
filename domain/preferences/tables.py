from piccolo.columns import Array, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.table import Table

from domain.people.tables import Person


class ContactPreferences(Table, tablename="contact_preferences"):
    """How often and how a person wants to hear from us, across all communities.
    Per-community topics live on the membership (`interests`)."""

    id = Serial(primary_key=True)
    person = ForeignKey(references=Person, null=False, unique=True)
    cadence = Varchar(length=20, default="every_update")
    channels = Array(base_column=Varchar(length=20), default=list)
    paused_until = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()

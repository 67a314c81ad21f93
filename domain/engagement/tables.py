from piccolo.columns import JSONB, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from domain.people.tables import Person


class EngagementEvent(Table, tablename="engagement_events"):
    """Append-only fact about a person; the raw material of scores and metrics.

    Indexed on (person, occurred_at) by a raw migration: the timeline reads newest first.
    """

    id = BigSerial(primary_key=True)
    person = ForeignKey(references=Person, null=False)
    type = Varchar(length=40)
    occurred_at = Timestamptz()
    source = Varchar(length=80, default="")
    payload = JSONB(default={})

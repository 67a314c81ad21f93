from piccolo.columns import JSONB, BigInt, BigSerial, ForeignKey, SmallInt, Timestamptz, Varchar
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
    # An integration's own id for the event (API batches): unique where set, so a resend
    # is recorded once (partial unique index in the migration).
    external_id = Varchar(length=200, null=True, default=None)


class EngagementScore(Table, tablename="engagement_scores"):
    """One row per person who ever engaged: the time-decayed engagement score (0-100), its
    band (cold | warm | hot) and the last engagement, as typed, indexed columns so that
    segments filter on them with btree indexes (domain.engagement.scoring keeps it fresh:
    people with new events every few minutes, everyone nightly as scores decay)."""

    person = ForeignKey(references=Person, null=False, primary_key=True)
    score = SmallInt(default=0, index=True)
    band = Varchar(length=8, default="cold", index=True)
    last_engaged_at = Timestamptz(null=True, default=None, index=True)
    computed_at = Timestamptz()


class ScoringWatermark(Table, tablename="scoring_watermarks"):
    """How far the incremental scorer has read engagement_events (by id), per scorer."""

    name = Varchar(length=40, primary_key=True)
    last_event_id = BigInt(default=0)
    updated_at = Timestamptz()

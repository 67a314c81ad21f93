from piccolo.columns import JSONB, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser
from domain.pools.tables import TalentPool


class Segment(Table, tablename="segments"):
    """A named, saved segment definition (domain.segments.definition), private to its
    owner or shared with the team."""

    id = Serial(primary_key=True)
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    definition = JSONB(default={})
    visibility = Varchar(length=16, default="shared")
    owner = ForeignKey(references=StaffUser, null=True, default=None, index=True)
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PoolSnapshot(Table, tablename="pool_snapshots"):
    """A pool's size on a day (dynamic pools are evaluated live; the daily snapshot is what
    growth charts read)."""

    id = Serial(primary_key=True)
    pool = ForeignKey(references=TalentPool, null=False)
    day = Date()
    members = Integer(default=0)
    taken_at = Timestamptz()

    unique_pool_day = Unique(["pool", "day"])

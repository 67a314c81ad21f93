from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser
from domain.people.tables import Person
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


class SegmentAudience(Table, tablename="segment_audiences"):
    """The maintained membership of one segment definition, shared by every saved segment
    and dynamic pool with that (canonical) definition. Counts and pages of saved segments
    read it instead of evaluating the definition over everyone (domain.segments.membership
    keeps it current from segment_dirty_people; mautic/mautic#8113 is what rebuilding
    whole segments costs)."""

    id = Serial(primary_key=True)
    key = Varchar(length=64, unique=True)  # sha256 of the canonical definition JSON
    definition = JSONB(default={})
    time_relative = Boolean(default=False)  # "within N days": membership drifts with time
    member_count = Integer(default=0)
    built_at = Timestamptz(null=True, default=None)  # last evaluation over everyone
    refreshed_at = Timestamptz(null=True, default=None)  # last change applied
    problem = Text(default="")  # why it cannot be evaluated (a community was deleted, …)
    created_at = Timestamptz()


class SegmentAudienceMember(Table, tablename="segment_audience_members"):
    id = BigSerial(primary_key=True)
    audience = ForeignKey(references=SegmentAudience, on_delete=OnDelete.cascade, null=False)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, null=False, index=True)

    unique_audience_person = Unique(["audience", "person"])


class SegmentDirtyPerson(Table, tablename="segment_dirty_people"):
    """People whose segment-relevant facts changed since membership was last brought up to
    date: written by statement triggers on every table a segment condition reads, consumed
    by domain.segments.membership.refresh_changed."""

    id = BigSerial(primary_key=True)
    person = Integer()

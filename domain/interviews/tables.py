from piccolo.columns import (
    JSONB,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser
from domain.pipeline.tables import Application
from domain.requisitions.tables import RequisitionStage


class Interview(Table, tablename="interviews"):
    """An interview for one application at one stage. status: proposed (slots offered to
    the candidate) | scheduled | cancelled | completed. `sequence` is the iCalendar
    SEQUENCE: bumped on every reschedule so calendars move the entry (same UID)."""

    id = Serial(primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    stage = ForeignKey(references=RequisitionStage, null=False)
    title = Varchar(length=200)
    status = Varchar(length=16, default="proposed")
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    time_zone = Varchar(length=64, default="UTC")
    location = Varchar(length=200, default="")
    join_url = Varchar(length=500, default="")
    duration_minutes = Integer(default=60)
    sequence = Integer(default=0)
    # Set once by the reminder sweep (24 h before) and the after-interview sweep that asks
    # panelists for their scorecards: each happens exactly once per interview and time.
    reminded_at = Timestamptz(null=True, default=None)
    scorecards_requested_at = Timestamptz(null=True, default=None)
    created_by = Varchar(length=320)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class InterviewSlot(Table, tablename="interview_slots"):
    """A time offered for the candidate to choose (self-scheduling by signed link)."""

    id = Serial(primary_key=True)
    interview = ForeignKey(references=Interview, null=False, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class InterviewPanelist(Table, tablename="interview_panelists"):
    id = Serial(primary_key=True)
    interview = ForeignKey(references=Interview, null=False, index=True)
    staff = ForeignKey(references=StaffUser, null=False, index=True)

    unique_interview_staff = Unique(["interview", "staff"])


class Scorecard(Table, tablename="scorecards"):
    """One interviewer's assessment of an application at a stage: attribute ratings 1-4
    with notes and an overall recommendation (strong_no | no | yes | strong_yes).
    status: draft | submitted. Others' scorecards stay hidden until one submits one's own."""

    id = Serial(primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    stage = ForeignKey(references=RequisitionStage, null=False)
    author = ForeignKey(references=StaffUser, null=False, index=True)
    status = Varchar(length=16, default="draft")
    recommendation = Varchar(length=16, default="")
    notes = Text(default="")
    created_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)

    unique_application_stage_author = Unique(["application", "stage", "author"])


class ScorecardRating(Table, tablename="scorecard_ratings"):
    id = Serial(primary_key=True)
    scorecard = ForeignKey(references=Scorecard, null=False, index=True)
    attribute = Varchar(length=80)
    rating = Integer()
    note = Text(default="")

    unique_scorecard_attribute = Unique(["scorecard", "attribute"])


class AvailabilityRequest(Table, tablename="availability_requests"):
    """We asked the candidate when they can interview (stage automation or by hand); they
    answer through a signed link. windows: [{"starts_at": iso, "ends_at": iso}] in UTC.
    status: requested → submitted | cancelled."""

    id = Serial(primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    stage = ForeignKey(references=RequisitionStage, null=False)
    status = Varchar(length=16, default="requested")
    time_zone = Varchar(length=64, default="")
    windows = JSONB(default=[])
    note = Text(default="")
    requested_by = Varchar(length=320)
    requested_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)

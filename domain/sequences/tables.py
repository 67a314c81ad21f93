from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.people.tables import Person


class Sequence(Table, tablename="sequences"):
    """A nurture sequence: multi-step, over months. Its steps, entry and exit rules live
    in versions; `live_version` is the one new enrolments get (editing a live sequence
    creates a new version; enrolled people finish on theirs unless migrated).
    state: draft | live | paused | archived."""

    id = Serial(primary_key=True)
    name = Varchar(length=160, unique=True)
    description = Text(default="")
    purpose = Varchar(length=40)
    consent_scope = Varchar(length=80, default="")
    state = Varchar(length=12, default="draft")
    live_version = Integer(null=True, default=None)
    allow_overlap = Boolean(default=False)
    allow_during_application = Boolean(default=False)
    # The staff member told about replies and given recruiter tasks by default.
    owner = Varchar(length=320, default="")
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()
    updated_by = Varchar(length=320, default="")
    updated_at = Timestamptz()


class SequenceVersion(Table, tablename="sequence_versions"):
    """One immutable version: `steps` (a list of typed steps keyed by `key`: email, wait,
    condition, branch, task, pool_stage, tag, end), `entry_rules` and `exit_rules`."""

    id = Serial(primary_key=True)
    sequence = ForeignKey(references=Sequence, null=False, on_delete=OnDelete.cascade)
    version = Integer()
    steps = JSONB(default=[])
    entry_rules = JSONB(default=[])
    exit_rules = JSONB(default=[])
    created_by = Varchar(length=320, default="")
    created_at = Timestamptz()

    unique_sequence_version = Unique(["sequence", "version"])


class SequenceEnrollment(Table, tablename="sequence_enrollments"):
    """A person going through one version of a sequence. `step_key` is the next step to
    run and `due_at` when (the scheduler reads due rows by a partial index).
    state: active | paused | completed | exited."""

    id = BigSerial(primary_key=True)
    sequence = ForeignKey(references=Sequence, null=False, on_delete=OnDelete.cascade)
    version = Integer()
    person = ForeignKey(references=Person, null=False, index=True,
                        on_delete=OnDelete.cascade)
    state = Varchar(length=12, default="active")
    step_key = Varchar(length=40, default="")
    due_at = Timestamptz(null=True, default=None)
    entered_at = Timestamptz()
    entry_reason = Varchar(length=120, default="")
    paused_reason = Varchar(length=120, default="")
    exited_at = Timestamptz(null=True, default=None)
    exit_reason = Varchar(length=120, default="")
    updated_at = Timestamptz()


class SequenceStepRun(Table, tablename="sequence_step_runs"):
    """A step an enrolment went through, once (unique per enrolment and step): what it did
    (`outcome`: sent, waited, branch taken, task created, skipped: <why>) and when."""

    id = BigSerial(primary_key=True)
    enrollment = ForeignKey(references=SequenceEnrollment, null=False,
                            on_delete=OnDelete.cascade)
    step_key = Varchar(length=40)
    outcome = Varchar(length=80, default="")
    ran_at = Timestamptz()

    unique_enrollment_step = Unique(["enrollment", "step_key"])


class RecruiterTask(Table, tablename="recruiter_tasks"):
    """Something a person has to do about a candidate: a call, a personal note (from a
    nurture step, or written by hand)."""

    id = BigSerial(primary_key=True)
    person = ForeignKey(references=Person, null=False, index=True,
                        on_delete=OnDelete.cascade)
    kind = Varchar(length=16, default="call")
    title = Varchar(length=200)
    notes = Text(default="")
    assignee = Varchar(length=320, default="", index=True)
    enrollment = BigInt(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)
    done_by = Varchar(length=320, default="")

from decimal import Decimal

from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.accounts.tables import StaffUser


class StageTemplate(Table, tablename="stage_templates"):
    """A reusable hiring process; a requisition gets its own copy to edit."""

    id = Serial(primary_key=True)
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    # Rejected from a late stage with a scorecard average at least this → silver medalist.
    silver_threshold = Numeric(digits=(3, 2), default=Decimal("3.00"))
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TemplateStage(Table, tablename="template_stages"):
    """One ordered stage of a template. kind: applied | screen | interview | offer | hired |
    rejected | withdrawn | custom (the special kinds drive the pipeline's rules)."""

    id = Serial(primary_key=True)
    template = ForeignKey(references=StageTemplate, null=False, index=True)
    position = Integer()
    name = Varchar(length=80)
    kind = Varchar(length=16)
    candidate_label = Varchar(length=80)
    # Rejecting from here (with a strong scorecard) makes a silver medalist.
    late_stage = Boolean(default=False)
    # {"email": "<template>", "request_availability": bool, "ask_scorecard": bool}
    automation = JSONB(default={})
    # Scorecard attributes rated 1-4 at this stage: ["Python", "Communication", …]
    scorecard_attributes = Array(base_column=Varchar(length=80), default=list)

    unique_template_position = Unique(["template", "position"])


class Requisition(Table, tablename="requisitions"):
    """An open role. status: draft → open → on_hold → closed (close_reason filled |
    cancelled). Published on the portal at /jobs/<slug> while open."""

    id = Serial(primary_key=True)
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    team = Varchar(length=120, default="", index=True)
    locations = Array(base_column=Varchar(length=120), default=list)
    remote_policy = Varchar(length=16, default="onsite")
    employment_type = Varchar(length=16, default="full_time")
    seniority = Varchar(length=40, default="")
    job_function = Varchar(length=40, default="")
    required_skills = Array(base_column=Varchar(length=80), default=list)
    nice_skills = Array(base_column=Varchar(length=80), default=list)
    description = Text(default="")
    salary_min = Integer(null=True, default=None)
    salary_max = Integer(null=True, default=None)
    salary_currency = Varchar(length=3, default="")
    salary_period = Varchar(length=8, default="year")
    openings = Integer(default=1)
    filled = Integer(default=0)
    target_start = Date(null=True, default=None)
    status = Varchar(length=16, default="draft", index=True)
    close_reason = Varchar(length=16, default="")
    # [{"key", "label", "kind": text|choice|yes_no, "choices", "required", "knockout": value}]
    screening_questions = JSONB(default=[])
    template_name = Varchar(length=120, default="")
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RequisitionStage(Table, tablename="requisition_stages"):
    """A requisition's own copy of its template's stages (edited there, not in the
    template). Same columns as TemplateStage."""

    id = Serial(primary_key=True)
    requisition = ForeignKey(references=Requisition, null=False, index=True)
    position = Integer()
    name = Varchar(length=80)
    kind = Varchar(length=16)
    candidate_label = Varchar(length=80)
    late_stage = Boolean(default=False)
    automation = JSONB(default={})
    scorecard_attributes = Array(base_column=Varchar(length=80), default=list)

    unique_requisition_position = Unique(["requisition", "position"])


class RequisitionMember(Table, tablename="requisition_members"):
    """The hiring team: role hiring_manager | recruiter. Hiring managers see and act only
    on the requisitions they are members of."""

    id = Serial(primary_key=True)
    requisition = ForeignKey(references=Requisition, null=False, index=True)
    staff = ForeignKey(references=StaffUser, null=False, index=True)
    role = Varchar(length=16)

    unique_requisition_staff = Unique(["requisition", "staff"])


class RejectionReason(Table, tablename="rejection_reasons"):
    """The managed list a rejection must pick from. by: company | candidate."""

    id = Serial(primary_key=True)
    label = Varchar(length=120, unique=True)
    by = Varchar(length=16, default="company")
    # The rejection email template sent with this reason ('' = none).
    email_template = Varchar(length=80, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz()

from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.constraints import Unique
from piccolo.table import Table

from domain.consent.tables import ConsentText
from domain.people.tables import Person
from domain.profiles.tables import CvFile
from domain.requisitions.tables import RejectionReason, Requisition, RequisitionStage


class Application(Table, tablename="applications"):
    """A person in a requisition's pipeline. status: active | rejected | withdrawn | hired.
    Kept for the legal retention period after `last_action_at` (privacy registry)."""

    id = Serial(primary_key=True)
    requisition = ForeignKey(references=Requisition, null=False, index=True)
    person = ForeignKey(references=Person, null=False, index=True)
    stage = ForeignKey(references=RequisitionStage, null=False, index=True)
    status = Varchar(length=16, default="active")
    source = Varchar(length=40, default="portal")
    utm_source = Varchar(length=120, default="")
    utm_medium = Varchar(length=120, default="")
    utm_campaign = Varchar(length=120, default="")
    referral_code = Varchar(length=80, default="")
    # Screening answers by question key; `knockout` when an answer matched a knockout.
    answers = JSONB(default={})
    knockout = Boolean(default=False)
    consent_text = ForeignKey(references=ConsentText, null=True, default=None)
    # RESTRICT: a CV that is part of a kept hiring record can never vanish under it
    # (erasure keeps such CVs: privacy registry `kept_while`).
    cv_file = ForeignKey(references=CvFile, null=True, default=None,
                         on_delete=OnDelete.restrict)
    rejection_reason = ForeignKey(references=RejectionReason, null=True, default=None)
    silver_medalist = Boolean(default=False)
    applied_at = Timestamptz()
    stage_entered_at = Timestamptz()
    last_action_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)

    unique_requisition_person = Unique(["requisition", "person"])


class StageTransition(Table, tablename="stage_transitions"):
    """Append-only: every move, rejection, withdrawal and hire; time in stage derives from
    these. kind: applied | moved | rejected | withdrawn | hired | reopened."""

    id = BigSerial(primary_key=True)
    application = ForeignKey(references=Application, null=False, index=True)
    from_stage = ForeignKey(references=RequisitionStage, null=True, default=None)
    to_stage = ForeignKey(references=RequisitionStage, null=True, default=None)
    kind = Varchar(length=16)
    by = Varchar(length=320)
    at = Timestamptz()
    reason = Text(default="")


class EeoSelfIdentification(Table, tablename="eeo_self_identifications"):
    """Voluntary self-identification, apart from the application on purpose: only the
    eeo_reporter role reads it, and only as counts (never joined to a person on a page)."""

    id = Serial(primary_key=True)
    application = ForeignKey(references=Application, null=False, unique=True)
    gender = Varchar(length=40, default="declined")
    race_ethnicity = Varchar(length=60, default="declined")
    veteran = Varchar(length=40, default="declined")
    disability = Varchar(length=40, default="declined")
    created_at = Timestamptz()

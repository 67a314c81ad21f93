"""The registry of personal data: every column of every table, classified.

Each table lists its `personal` columns (exported to the person, GDPR Art. 15/20) and,
for every other column, why it is not exported. `person_path` says how to find the
person's rows: a chain of foreign keys ending at people.id ("person", "request.person").
tests/architecture/test_pii_registry.py fails when a table or column is missing here,
so a new column holding personal data cannot land without a decision about it.

Erasure (Art. 17) follows it too: `erase="delete"` rows go, `erase="keep"` rows stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from piccolo.columns import ForeignKey
from piccolo.table import Table

from domain.accounts.tables import (
    SsoSettings,
    StaffIdentity,
    StaffRecoveryCode,
    StaffUser,
)
from domain.audit.tables import AuditEntry
from domain.bulk.tables import BulkAction
from domain.campaigns.tables import (
    Campaign,
    CampaignCsvPerson,
    InboundMessage,
    MarketingSend,
    MarketingSettings,
    MarketingTemplate,
    TrackedLink,
    TrackingEvent,
)
from domain.communities.tables import CommunityMembership, TalentCommunity
from domain.compliance.tables import RequisitionSearch
from domain.consent.tables import ConsentPolicy, ConsentRecord, ConsentText, Suppression
from domain.dedupe.tables import DuplicateHint, PersonMerge
from domain.engagement.tables import EngagementEvent, EngagementScore, ScoringWatermark
from domain.events.tables import Event, EventHost, EventMessage, Registration
from domain.hiring_emails.tables import HiringEmailTemplate
from domain.identity.tables import CandidateLogin, SocialIdentity
from domain.imports.tables import PeopleImport
from domain.integrations.tables import (
    ApiToken,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from domain.interviews.tables import (
    AvailabilityRequest,
    Interview,
    InterviewPanelist,
    InterviewSlot,
    Scorecard,
    ScorecardRating,
)
from domain.mail.tables import OutboundEmail
from domain.offers.tables import Offer
from domain.outbox.tables import OutboxMessage
from domain.people.tables import Person, PersonTag
from domain.pipeline.tables import Application, EeoSelfIdentification, StageTransition
from domain.pools.tables import PoolMember, TalentPool
from domain.preferences.tables import ContactPreferences
from domain.privacy.tables import DataExport, DataRequest, LegalHold
from domain.profiles.files import CV_SUBDIR
from domain.profiles.tables import CvFile, Profile, Skill
from domain.requisitions.tables import (
    RejectionReason,
    Requisition,
    RequisitionMember,
    RequisitionStage,
    StageTemplate,
    TemplateStage,
)
from domain.segments.tables import (
    PoolSnapshot,
    Segment,
    SegmentAudience,
    SegmentAudienceMember,
    SegmentDirtyPerson,
)
from domain.sequences.tables import (
    RecruiterTask,
    Sequence,
    SequenceEnrollment,
    SequenceStepRun,
    SequenceVersion,
)
from domain.tokens.tables import IssuedToken

KEY = "row identifier; says nothing about the person"
OWNER = "link to the person the row belongs to"


@dataclass(frozen=True)
class Files:
    """Rows name a file on disk: `<VAR_DIR>/<directory>/<row[column]>`."""

    column: str
    directory: str
    exported: bool


@dataclass(frozen=True)
class Rules:
    table: type[Table]
    person_path: str | None = None
    personal: tuple[str, ...] = ()
    other: Mapping[str, str] = field(default_factory=dict)
    erase: str = "delete"
    files: Files | None = None
    # erase="delete" rows matching this constant SQL predicate (over the table) stay: a
    # record kept for the retention period still needs them. They go with the person.
    kept_while: str = ""

    @property
    def name(self) -> str:
        return self.table._meta.tablename


@dataclass(frozen=True)
class Retained:
    """Rows kept past erasure by a legal duty (EEOC, OFCCP): `record_date` is when the record
    was made, `action_date` the personnel action (may be NULL); `files` go with the rows."""

    table: str
    person_column: str
    record_date: str
    action_date: str | None = None
    files: Files | None = None


def _same(reason: str, *columns: str) -> dict[str, str]:
    return dict.fromkeys(columns, reason)


REFERENCE = "the same for everyone; the entries a person's rows point at are exported with them"
MECHANICS = "delivery mechanics (claims, retries, transport ids), not information about them"

REGISTRY: tuple[Rules, ...] = (
    Rules(Person, "id", ("email", "full_name", "source", "phone", "linkedin", "created_at",
                         "updated_at"),
          {"id": KEY, "merged_into": "link to the record this one was merged into"},
          erase="person"),
    Rules(PersonTag, "person", ("tag", "added_at"),
          {"id": KEY, "person": OWNER, "added_by": "the staff member who tagged (staff data)"}),
    Rules(EngagementScore, "person", ("score", "band", "last_engaged_at", "computed_at"),
          {"person": OWNER}),
    Rules(PoolMember, "person", ("pool", "stage", "source", "note", "added_at",
                                 "stage_changed_at"),
          {"id": KEY, "person": OWNER, "added_by": "the staff member who added them "
                                                   "(staff data)"}),
    Rules(DuplicateHint, "person", ("reason", "status", "found_at", "decided_at"),
          {"id": KEY, "person": OWNER,
           "other": "link to another record suspected to be the same human",
           "decided_by": "the staff member who decided (staff data)"}),
    Rules(PersonMerge, "kept", ("status", "merged_at", "undone_at"),
          {"id": KEY, "kept": OWNER,
           "merged": "the record folded into this one (its rows now belong to this person)",
           "moved": "row ids repointed by the merge, kept for undo",
           **_same("the staff member who merged or undid it (staff data)", "merged_by",
                   "undone_by")}),
    Rules(Profile, "person",
          ("headline", "city", "country", "time_zone", "links", "skills", "unmatched_skills",
           "job_function", "seniority", "work_modes", "open_to_relocation",
           "open_to_opportunities", "open_status_at", "updated_at"),
          {"id": KEY, "person": OWNER}),
    Rules(CvFile, "person",
          ("display_name", "content_type", "size_bytes", "sha256", "is_current", "uploaded_at",
           "replaced_at", "note"),
          {"id": KEY, "person": OWNER,
           "storage_key": "random file name on disk; the file itself is in the archive"},
          files=Files("storage_key", CV_SUBDIR, exported=True),
          # The CV sent with an application is part of the hiring record (EEOC keeps
          # "applications and other records having to do with hiring").
          kept_while="EXISTS (SELECT 1 FROM applications a WHERE a.cv_file = cv_files.id)"),
    Rules(CommunityMembership, "person",
          ("community", "status", "interests", "requested_at", "confirmed_at", "left_at"),
          {"id": KEY, "person": OWNER}),
    Rules(Registration, "person",
          ("event", "status", "position", "offer_expires_at", "offers_from", "answers",
           "source",
           "checked_in_at", "checked_in_by", "joined_at", "attended_minutes", "created_at",
           "updated_at", "cancelled_at"),
          {"id": KEY, "person": OWNER}),
    # Hiring records: kept after erasure for the legal retention period (RETAINED_TABLES),
    # then purged with their transitions and self-identification (ON DELETE CASCADE).
    Rules(Application, "person",
          ("requisition", "stage", "status", "source", "utm_source", "utm_medium",
           "utm_campaign", "referral_code", "answers", "knockout", "consent_text", "cv_file",
           "rejection_reason", "silver_medalist", "applied_at", "stage_entered_at",
           "last_action_at", "decided_at"),
          {"id": KEY, "person": OWNER}, erase="keep"),
    Rules(StageTransition, "application.person",
          ("from_stage", "to_stage", "kind", "by", "at", "reason"),
          {"id": KEY, "application": "link to the application the step belongs to"},
          erase="keep"),
    Rules(EeoSelfIdentification, "application.person",
          ("gender", "race_ethnicity", "veteran", "disability", "created_at"),
          {"id": KEY, "application": "link to the application it was given with"},
          erase="keep"),
    # Interview records belong to the application: kept and purged with it.
    Rules(Interview, "application.person",
          ("stage", "title", "status", "starts_at", "ends_at", "time_zone", "location",
           "join_url", "duration_minutes", "created_at", "updated_at"),
          {"id": KEY, "application": "link to the application it is for",
           "sequence": "calendar update counter; says nothing about them",
           **_same("when reminder and scorecard-request emails went out (mechanics)",
                   "reminded_at", "scorecards_requested_at"),
           "created_by": "the staff member who arranged it (staff data)"}, erase="keep"),
    Rules(AvailabilityRequest, "application.person",
          ("stage", "status", "time_zone", "windows", "note", "requested_at", "submitted_at"),
          {"id": KEY, "application": "link to the application it is for",
           "requested_by": "the staff member who asked (staff data)"}, erase="keep"),
    Rules(InterviewSlot, "interview.application.person", ("starts_at", "ends_at"),
          {"id": KEY, "interview": "link to the interview"}, erase="keep"),
    Rules(InterviewPanelist, None, (), {
        "id": KEY, **_same("which staff member interviews; not about the candidate",
                           "interview", "staff")}),
    # Interviewers' assessments: disclosed on a data request (they are about the person),
    # kept with the application for the retention period.
    Rules(Scorecard, "application.person",
          ("stage", "status", "recommendation", "notes", "created_at", "submitted_at"),
          {"id": KEY, "application": "link to the application it assesses",
           "author": "the interviewer (staff data)"}, erase="keep"),
    Rules(ScorecardRating, "scorecard.application.person", ("attribute", "rating", "note"),
          {"id": KEY, "scorecard": "link to the scorecard"}, erase="keep"),
    Rules(Offer, "application.person",
          ("status", "title", "salary", "salary_currency", "salary_period", "start_date",
           "expires_on", "letter", "sent_at", "responded_at", "decline_reason", "created_at",
           "updated_at"),
          {"id": KEY, "application": "link to the application it is for",
           **_same("staff who prepared and approved it (staff data)", "created_by",
                   "approved_by", "approved_at")}, erase="keep"),
    Rules(ConsentRecord, "person",
          ("purpose", "scope", "consent_text", "action", "method", "occurred_at", "ip",
           "user_agent"),
          {"id": KEY, "person": OWNER}),
    Rules(ContactPreferences, "person", ("cadence", "channels", "paused_until", "updated_at"),
          {"id": KEY, "person": OWNER}),
    Rules(EngagementEvent, "person", ("type", "occurred_at", "source", "payload"),
          {"id": KEY, "person": OWNER,
           "external_id": "an integration's id for the event (idempotency key)"}),
    Rules(OutboundEmail, "person",
          ("to_address", "template", "kind", "state", "subject", "created_at", "sent_at"),
          {"id": KEY, "person": OWNER,
           "context": "ids used to render the email; its content is the subject and template",
           **_same(MECHANICS, "dedupe_key", "message_id", "attempts", "last_error",
                   "claimed_at")}),
    Rules(SocialIdentity, "person",
          ("provider", "issuer", "subject", "email", "created_at", "last_used_at"),
          {"id": KEY, "person": OWNER}),
    Rules(CandidateLogin, "person", ("created_at", "last_sign_in_at"),
          {"id": KEY, "person": OWNER,
           "session_epoch": "a counter that ends old sessions; no information about them"}),
    Rules(DataRequest, "person", ("kind", "status", "received_at", "due_at", "completed_at",
                                  "detail"),
          {"id": KEY, "person": OWNER},
          # Proof that a request was answered on time outlives the person (Art. 5(2)).
          erase="keep"),
    Rules(DataExport, "person", ("size_bytes", "created_at", "expires_at", "downloaded_at"),
          {"id": KEY, "person": OWNER, "request": "link to the data request, exported above",
           "storage_key": "random file name of an earlier archive"},
          files=Files("storage_key", "exports", exported=False)),
    Rules(LegalHold, "person", (),
          {"id": KEY, "person": OWNER,
           **_same("litigation record, disclosed through the legal process rather than the "
                   "self-service export (Art. 23(1)(j))",
                   "reason", "placed_by", "placed_at", "released_at")},
          # An active hold keeps the (anonymised) person; released holds go with them.
          erase="keep"),
    Rules(TalentCommunity, None, (), {
        "id": KEY, **_same(REFERENCE, "slug", "name", "description", "is_public",
                           "interest_options", "created_at")}),
    Rules(Event, None, (), {
        "id": KEY, **_same(REFERENCE, "slug", "title", "description", "kind", "starts_at",
                           "ends_at", "time_zone", "venue", "join_url", "capacity", "taken",
                           "registration_deadline", "status", "offer_hours", "questions",
                           "communities", "habitual_no_shows_waitlisted", "sequence",
                           "attendance_closed_at", "created_at", "updated_at")}),
    Rules(EventHost, None, (), {
        "id": KEY, **_same("which staff member hosts which event; not about candidates",
                           "event", "staff", "role", "created_at")}),
    Rules(EventMessage, None, (), {
        "id": KEY, **_same("a host's message to all registrants of an event; the same for "
                           "every recipient", "event", "audience", "subject", "body",
                           "sent_by", "recipients", "created_at")}),
    Rules(StageTemplate, None, (), {
        "id": KEY, **_same("hiring process configuration", "name", "description",
                           "silver_threshold", "created_at", "updated_at")}),
    Rules(TemplateStage, None, (), {
        "id": KEY, **_same("hiring process configuration", "template", "position", "name",
                           "kind", "candidate_label", "late_stage", "automation",
                           "scorecard_attributes")}),
    Rules(Requisition, None, (), {
        "id": KEY, **_same(REFERENCE, "slug", "title", "team", "locations", "remote_policy",
                           "employment_type", "seniority", "job_function", "required_skills",
                           "nice_skills", "description", "salary_min", "salary_max",
                           "salary_currency", "salary_period", "openings", "filled",
                           "target_start", "status", "close_reason", "screening_questions",
                           "template_name", "opened_at", "closed_at", "created_at",
                           "updated_at")}),
    Rules(RequisitionStage, None, (), {
        "id": KEY, **_same(REFERENCE, "requisition", "position", "name", "kind",
                           "candidate_label", "late_stage", "automation",
                           "scorecard_attributes")}),
    Rules(RequisitionMember, None, (), {
        "id": KEY, **_same("which staff member works on which requisition; not about "
                           "candidates", "requisition", "staff", "role")}),
    Rules(RejectionReason, None, (), {
        "id": KEY, **_same(REFERENCE, "label", "by", "email_template", "is_active",
                           "created_at")}),
    Rules(HiringEmailTemplate, None, (), {
        "id": KEY, **_same("hiring email configuration", "key", "name", "purpose", "subject",
                           "body", "is_active", "updated_by", "created_at", "updated_at")}),
    Rules(TalentPool, None, (), {
        "id": KEY, **_same("pool configuration; members are in pool_members", "name",
                           "description", "kind", "visibility", "owner", "job_function",
                           "skills", "stages", "segment", "auto_key", "created_by",
                           "created_at", "updated_at")}),
    Rules(Segment, None, (), {
        "id": KEY, **_same("a saved search definition (criteria, not people)", "name",
                           "description", "definition", "visibility", "owner", "created_by",
                           "created_at", "updated_at")}),
    Rules(SegmentAudienceMember, "person", ("audience",), {"id": KEY, "person": OWNER}),
    Rules(SegmentAudience, None, (), {
        "id": KEY, **_same("a segment definition and its member count (not people)", "key",
                           "definition", "time_relative", "member_count", "built_at",
                           "refreshed_at", "problem", "created_at")}),
    Rules(SegmentDirtyPerson, None, (), {
        "id": KEY, "person": "queue plumbing: the id of someone to re-evaluate, consumed "
                            "within a minute; no other data"}),
    Rules(PoolSnapshot, None, (), {
        "id": KEY, **_same("a pool's daily size (a count, not people)", "pool", "day",
                           "members", "taken_at")}),
    Rules(ScoringWatermark, None, (), {
        "name": "scorer name (plumbing)", "last_event_id": "a position in the event log",
        "updated_at": "when the scorer last ran"}),
    Rules(PeopleImport, None, (), {
        "id": KEY, **_same("an import batch: file name, mapping, counts and the first "
                           "row errors (row, column, reason) of staff-supplied data; the "
                           "people it created are in their own rows",
                           "filename", "storage_key", "status", "headers", "mapping",
                           "lawful_basis", "community", "tag", "source", "total_rows",
                           "processed_rows", "created_people", "updated_people",
                           "error_count", "errors", "message", "created_by", "created_at",
                           "started_at", "finished_at")}),
    Rules(BulkAction, None, (), {
        "id": KEY, **_same("a staff bulk action: its target (ids or a segment), counts and "
                           "progress", "kind", "target", "params", "status", "total", "done",
                           "changed", "storage_key", "message", "created_by", "created_at",
                           "started_at", "finished_at")}),
    Rules(RequisitionSearch, None, (), {
        "id": KEY, **_same("compliance record of a staff search (criteria and count), not "
                           "about any one person", "requisition", "searched_by", "criteria",
                           "result_count", "searched_at")}),
    Rules(ConsentText, None, (), {
        "id": KEY, **_same(REFERENCE, "purpose", "version", "body", "created_at")}),
    Rules(ConsentPolicy, None, (), {
        "id": KEY, **_same("configuration", "purpose", "expiry_months", "reminder_days",
                           "updated_at")}),
    Rules(Skill, None, (), {
        "id": KEY, **_same("the skills taxonomy", "slug", "name", "category", "parent",
                           "synonyms", "created_at")}),
    Rules(StaffUser, None, (), {
        "id": KEY, **_same("staff account data, not about candidates", "email", "full_name",
                           "password_hash", "roles", "is_active", "created_at",
                           "last_login_at", "session_epoch", "disabled_at", "invited_by",
                           "invited_at", "totp_secret", "totp_enabled_at",
                           "totp_last_step")}),
    Rules(StaffIdentity, None, (), {
        "id": KEY, **_same("a staff account's single sign-on identity (staff data)", "staff",
                           "issuer", "subject", "email_at_link", "created_at",
                           "last_login_at")}),
    Rules(StaffRecoveryCode, None, (), {
        "id": KEY, **_same("a staff account's hashed sign-in recovery codes (staff data)",
                           "staff", "code_hash", "created_at", "used_at")}),
    Rules(SsoSettings, None, (), {
        "id": KEY, **_same("configuration", "local_login_enabled", "jit_provisioning",
                           "default_role", "allowed_domains", "groups_claim", "group_roles",
                           "mfa_required_roles", "updated_by", "updated_at")}),
    Rules(ApiToken, None, (), {
        "id": KEY, **_same("integration credentials (a hash), not about candidates", "name",
                           "token_hash", "prefix", "scopes", "rate_limit_per_minute",
                           "created_by", "created_at", "expires_at", "last_used_at",
                           "revoked_at")}),
    Rules(MarketingTemplate, None, (), {
        "id": KEY, **_same("marketing content written by staff, not about candidates",
                           "name", "description", "purpose", "subject", "html_body",
                           "text_body", "text_is_custom", "version", "created_by",
                           "created_at", "updated_by", "updated_at", "archived_at")}),
    Rules(WebhookSubscription, None, (), {
        "id": KEY, **_same("integration configuration", "url", "description", "event_types",
                           "secret", "owner", "active", "allow_private_network",
                           "consecutive_failures", "disabled_at", "disabled_reason",
                           "created_at", "updated_at")}),
    Rules(WebhookEvent, "person", ("payload",), {
        "id": KEY, "person": OWNER, **_same("what happened and when (no personal data)",
                                            "event_id", "type", "occurred_at")}),
    Rules(WebhookDelivery, None, (), {
        "id": KEY, **_same("delivery log: ids, codes and times", "subscription", "event",
                           "status", "attempts", "next_attempt_at", "last_attempt_at",
                           "last_status_code", "last_error", "response_ms", "delivered_at",
                           "created_at")}),
    Rules(AuditEntry, None, (), {
        "id": KEY, **_same("security log of staff actions, kept under legitimate interest; "
                           "refers to people by id only", "occurred_at", "actor", "action",
                           "subject", "ip", "detail")}),
    Rules(OutboxMessage, None, (), {
        "id": KEY, **_same("task queue plumbing: task names and row ids", "task", "args",
                           "created_at", "enqueued_at", "attempts", "last_error")}),
    Rules(IssuedToken, None, (), {
        "id": KEY, **_same("single-use record of a signed link: a nonce hash and a "
                           "'<kind>:<id>' subject; erased with the person (TOKEN_SUBJECTS)",
                           "purpose", "nonce_hash", "subject", "issued_at", "expires_at",
                           "consumed_at")}),
    Rules(Suppression, None, (), {
        "id": KEY, **_same("keyed hash kept after erasure so the address is never emailed "
                           "again; not linkable to anyone without the app secret",
                           "email_hash", "reason", "detail", "created_at")}),
    # Campaigns and nurture sequences (domain.campaigns, domain.sequences).
    Rules(Campaign, None, (), {
        "id": KEY, **_same("marketing content and its schedule, written by staff; not about "
                           "a candidate", "name", "template", "purpose", "consent_scope",
                           "subject", "html_body", "text_body", "text_is_custom",
                           "merge_values", "audience_kind", "audience_ref", "event_filter",
                           "exclude_applicants", "state", "revision", "approved_revision",
                           "send_at", "zone_mode", "time_zone", "window_days",
                           "window_start", "window_end", "rate_per_minute", "created_by",
                           "created_at", "updated_by", "updated_at", "submitted_by",
                           "submitted_at", "approved_by", "approved_at", "started_at",
                           "paused_at", "finished_at", "cancelled_at", "recipients"),
        **_same(MECHANICS, "sender_fence", "sender_until", "audience_cursor",
                "audience_done")}),
    Rules(CampaignCsvPerson, "person", ("campaign",), {"id": KEY, "person": OWNER}),
    Rules(MarketingSend, "person",
          ("campaign", "enrollment", "step_key", "state", "reason", "created_at", "sent_at",
           "opened_at", "opens", "clicked_at", "clicks", "replied_at", "bounced_at",
           "bounce_kind", "unsubscribed_at"),
          {"id": KEY, "person": OWNER,
           "decided_by": "the staff member who decided an in-doubt send (staff data)",
           **_same(MECHANICS, "batch", "not_before", "claimed_by", "claimed_at",
                   "message_id", "reply_token", "error", "decided_at")}),
    Rules(TrackedLink, None, (), {
        "id": KEY, **_same("a link in marketing content and its click totals, not about "
                           "anyone", "content_key", "url", "position", "clicks",
                           "unique_clicks")}),
    Rules(TrackingEvent, "send.person", ("kind", "link", "flag", "occurred_at"),
          {"id": KEY, "send": "link to the email (and through it the person)",
           "hit_id": MECHANICS}),
    Rules(InboundMessage, "person",
          ("kind", "send", "from_address", "subject", "body_text", "bounce_kind",
           "status_code", "diagnostic", "received_at"),
          {"id": KEY, "person": OWNER, **_same(MECHANICS, "source", "message_id")}),
    Rules(MarketingSettings, None, (), {
        "id": KEY, **_same("marketing configuration", "cap_messages", "cap_days",
                           "paused_at", "paused_reason", "complaint_warned_at",
                           "updated_by", "updated_at")}),
    Rules(Sequence, None, (), {
        "id": KEY, **_same("nurture content and rules written by staff, not about anyone",
                           "name", "description", "purpose", "consent_scope", "state",
                           "live_version", "allow_overlap", "allow_during_application",
                           "owner", "created_by", "created_at", "updated_by",
                           "updated_at")}),
    Rules(SequenceVersion, None, (), {
        "id": KEY, **_same("nurture content and rules written by staff, not about anyone",
                           "sequence", "version", "steps", "entry_rules", "exit_rules",
                           "created_by", "created_at")}),
    Rules(SequenceEnrollment, "person",
          ("sequence", "version", "state", "step_key", "due_at", "entered_at",
           "entry_reason", "paused_reason", "exited_at", "exit_reason", "updated_at"),
          {"id": KEY, "person": OWNER}),
    Rules(SequenceStepRun, "enrollment.person", ("step_key", "outcome", "ran_at"),
          {"id": KEY, "enrollment": "link to the enrolment (and through it the person)"}),
    Rules(RecruiterTask, "person",
          ("kind", "title", "notes", "due_at", "created_at", "done_at"),
          {"id": KEY, "person": OWNER,
           "assignee": "the staff member who has to do it (staff data)",
           "done_by": "the staff member who did it (staff data)",
           "enrollment": "link to the nurture enrolment that created it"}),
)

# Foreign keys in personal rows whose targets are exported alongside ("the texts they saw").
REFERENCES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("consent_records", "consent_text"): (
        "consent_texts", ("id", "purpose", "version", "body", "created_at")),
    ("community_memberships", "community"): ("talent_communities", ("id", "slug", "name")),
    ("event_registrations", "event"): ("events", ("id", "slug", "title", "starts_at")),
    ("applications", "requisition"): ("requisitions", ("id", "slug", "title")),
    ("applications", "stage"): ("requisition_stages", ("id", "name", "candidate_label")),
    ("applications", "rejection_reason"): ("rejection_reasons", ("id", "label")),
}

# issued_tokens.subject is "<kind>:<id>": every kind that points at a person or their rows.
# SQL over the person id $1; a new token subject kind must be added here.
TOKEN_SUBJECTS = (
    "SELECT 'person:' || $1::int",
    "SELECT 'membership:' || id FROM community_memberships WHERE person = $1",
)

# Tables under a legal retention duty (EEOC 29 CFR 1602.14: one year from the record or the
# personnel action; OFCCP 41 CFR 60-1.12: two years for federal contractors). When a person
# has rows here, erasure anonymises the person instead of deleting them and the purge task
# deletes the rows (with their transitions and self-identification) once
# retention.retention_until has passed for the last action on the application.
RETAINED_TABLES: list[Retained] = [
    Retained("applications", "person", record_date="applied_at",
             action_date="last_action_at"),
]


def personal_tables() -> tuple[Rules, ...]:
    return tuple(rules for rules in REGISTRY if rules.person_path is not None)


def owner_condition(table: type[Table], path: str, param: str = "$1") -> str:
    """SQL selecting the rows of `table` that belong to person `param`, following `path`.
    Identifiers come from the registry (checked against the tables), never from input."""
    head, _, rest = path.partition(".")
    column = table._meta.get_column_by_name(head)
    quoted = f'"{column._meta.db_column_name}"'
    if not rest:
        return f"{quoted} = {param}"
    if not isinstance(column, ForeignKey):
        raise ValueError(f"{table._meta.tablename}.{head} is not a foreign key")
    target = column._foreign_key_meta.resolved_references
    inner = owner_condition(target, rest, param)
    return f'{quoted} IN (SELECT "id" FROM "{target._meta.tablename}" WHERE {inner})'  # noqa: S608  # nosec B608 # Piccolo metadata names


def path_end(table: type[Table], path: str) -> tuple[type[Table], str]:
    """The table and column the path ends on (for the registry test)."""
    head, _, rest = path.partition(".")
    column = table._meta.get_column_by_name(head)
    if not rest:
        return table, head
    if not isinstance(column, ForeignKey):
        raise ValueError(f"{table._meta.tablename}.{head} is not a foreign key")
    return path_end(column._foreign_key_meta.resolved_references, rest)


def _table_problems(rules: Rules) -> list[str]:
    name, columns = rules.name, {c._meta.db_column_name for c in rules.table._meta.columns}
    listed = set(rules.personal) | set(rules.other)
    problems = [f"{name}.{column} is not classified" for column in sorted(columns - listed)]
    problems += [f"{name}.{column} is listed but does not exist" for column in
                 sorted(listed - columns)]
    problems += [f"{name}.{column} is both personal and not" for column in
                 sorted(set(rules.personal) & set(rules.other))]
    if rules.personal and rules.person_path is None:
        problems.append(f"{name} has personal columns but no person_path")
    if rules.person_path is not None:
        try:
            end_table, end_column = path_end(rules.table, rules.person_path)
            column = end_table._meta.get_column_by_name(end_column)
        except (ValueError, AttributeError) as exc:
            return [*problems, f"{name}: bad person_path {rules.person_path!r}: {exc}"]
        points_at_people = isinstance(column, ForeignKey) and \
            column._foreign_key_meta.resolved_references is Person
        if not points_at_people and (end_table, end_column) != (Person, "id"):
            problems.append(f"{name}: person_path {rules.person_path!r} does not end at people")
    return problems


def problems(table_classes: list[type[Table]]) -> list[str]:
    """Everything that keeps the registry from covering `table_classes` exactly."""
    registered = {rules.table for rules in REGISTRY}
    found = [f"{table._meta.tablename} is not in the privacy registry"
             for table in table_classes if table not in registered]
    found += [f"{rules.name} is registered but not an app table"
              for rules in REGISTRY if rules.table not in table_classes]
    for rules in REGISTRY:
        found += _table_problems(rules)
    return found

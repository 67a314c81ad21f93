"""The single Piccolo app for the whole domain: one linear migration history."""

import os

from piccolo.conf.apps import AppConfig

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

TABLES = [
    Person,
    TalentCommunity,
    CommunityMembership,
    ConsentText,
    ConsentRecord,
    EngagementEvent,
    OutboundEmail,
    OutboxMessage,
    IssuedToken,
    StaffUser,
    AuditEntry,
    CandidateLogin,
    SocialIdentity,
    Skill,
    Profile,
    CvFile,
    ContactPreferences,
    ConsentPolicy,
    Suppression,
    DataRequest,
    DataExport,
    LegalHold,
    Event,
    Registration,
    EventHost,
    EventMessage,
    StageTemplate,
    TemplateStage,
    Requisition,
    RequisitionStage,
    RequisitionMember,
    RejectionReason,
    Application,
    StageTransition,
    EeoSelfIdentification,
    Interview,
    InterviewSlot,
    InterviewPanelist,
    Scorecard,
    ScorecardRating,
    Offer,
    PersonTag,
    TalentPool,
    PoolMember,
    DuplicateHint,
    PersonMerge,
    HiringEmailTemplate,
    AvailabilityRequest,
    RequisitionSearch,
    EngagementScore,
    ScoringWatermark,
    Segment,
    PoolSnapshot,
    SegmentAudience,
    SegmentAudienceMember,
    SegmentDirtyPerson,
    StaffIdentity,
    StaffRecoveryCode,
    SsoSettings,
    ApiToken,
    WebhookSubscription,
    WebhookEvent,
    WebhookDelivery,
    MarketingTemplate,
    PeopleImport,
    BulkAction,
    Campaign,
    CampaignCsvPerson,
    MarketingSend,
    TrackedLink,
    TrackingEvent,
    InboundMessage,
    MarketingSettings,
    Sequence,
    SequenceVersion,
    SequenceEnrollment,
    SequenceStepRun,
    RecruiterTask,
]

APP_CONFIG = AppConfig(
    app_name="domain",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)

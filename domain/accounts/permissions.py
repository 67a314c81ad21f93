"""Permissions as an enumeration and roles as named sets: one table drives every guard."""

from enum import StrEnum


class Permission(StrEnum):
    CANDIDATES_VIEW = "crm:candidates:view"
    MAIL_OUTBOX_VIEW = "ops:mail:view"
    STAFF_MANAGE = "admin:staff:manage"
    PRIVACY_MANAGE = "admin:privacy:manage"
    # Host events: create them and manage the ones one hosts or co-hosts.
    EVENTS_HOST = "events:events:host"
    # Manage every event, whoever hosts it.
    EVENTS_ALL = "events:events:all"
    # Work on requisitions one is a member of (hiring managers: only those).
    REQUISITIONS_WORK = "ats:requisitions:work"
    # Create requisitions and work on every one of them.
    REQUISITIONS_ALL = "ats:requisitions:all"
    # Edit stage templates and the rejection reasons list.
    HIRING_SETUP = "admin:hiring:setup"
    # Read EEO self-identification, as counts only.
    EEO_REPORT = "compliance:eeo:report"
    # Merge duplicate people records (and undo), or mark a pair as not the same person.
    CANDIDATES_MERGE = "crm:candidates:merge"
    # Talent pools: see shared pools, create one's own, add people and move them on.
    POOLS_WORK = "crm:pools:work"
    # Export people's contact data (the bulk "Export them as CSV" and its download).
    CANDIDATES_EXPORT = "crm:candidates:export"
    # The skills taxonomy: add, rename and merge skills, review unmatched free text.
    SKILLS_MANAGE = "admin:skills:manage"
    # API tokens and webhook subscriptions (what leaves the system, and who may call in).
    INTEGRATIONS_MANAGE = "admin:integrations:manage"
    # Marketing email templates: write, preview and send a test to oneself.
    MARKETING_CONTENT = "crm:marketing:content"
    # Campaigns and nurture sequences: build, edit, submit for approval, pause, report.
    CAMPAIGNS_MANAGE = "crm:campaigns:manage"
    # Approve (or reject) a campaign someone else submitted; decide in-doubt sends.
    CAMPAIGNS_APPROVE = "crm:campaigns:approve"
    # The frequency cap and the marketing-wide pause (complaint rate).
    MARKETING_SETTINGS = "admin:marketing:settings"
    # Single sign-on policy: local login on/off, provisioning, role mapping, required MFA.
    SSO_MANAGE = "admin:sso:manage"


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    EVENT_HOST = "event_host"
    MARKETING = "marketing"
    EEO_REPORTER = "eeo_reporter"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RECRUITER: frozenset({Permission.CANDIDATES_VIEW, Permission.MAIL_OUTBOX_VIEW,
                               Permission.EVENTS_HOST, Permission.EVENTS_ALL,
                               Permission.REQUISITIONS_WORK, Permission.REQUISITIONS_ALL,
                               Permission.POOLS_WORK, Permission.CANDIDATES_MERGE,
                               Permission.CANDIDATES_EXPORT, Permission.MARKETING_CONTENT,
                               Permission.CAMPAIGNS_MANAGE}),
    # Hiring managers see and act only on the requisitions they are members of
    # (domain.requisitions.access).
    Role.HIRING_MANAGER: frozenset({Permission.REQUISITIONS_WORK}),
    # Event hosts see only the events they host or co-host (domain.events.access).
    Role.EVENT_HOST: frozenset({Permission.EVENTS_HOST}),
    Role.MARKETING: frozenset({Permission.MAIL_OUTBOX_VIEW, Permission.POOLS_WORK,
                               Permission.MARKETING_CONTENT, Permission.CAMPAIGNS_MANAGE,
                               Permission.CAMPAIGNS_APPROVE}),
    # Counts by group per stage; never individuals, never anything a decision uses.
    Role.EEO_REPORTER: frozenset({Permission.EEO_REPORT}),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for name in roles:
        if name in Role._value2member_map_:
            granted |= ROLE_PERMISSIONS[Role(name)]
    return frozenset(granted)


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError as exc:
        known = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {name!r}; choose one of: {known}") from exc

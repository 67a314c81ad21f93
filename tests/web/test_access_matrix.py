"""A1, the access matrix (QUALITY.md 2.4): every GET route of the app, for ten principals,
against a declared policy, with the ids of objects owned by X and by Y substituted in.

The policy says who a route is for; `expected` turns that into a status per principal:
200 allowed; 303 to the right sign-in page without the right session; 403 for staff whose
role lacks the permission; 404 for an object outside the principal's reach (another
candidate's, another team's requisition, an event someone else hosts, an id that does not
exist). A route missing from POLICY fails the test, so a new page cannot ship without a
decision about who may see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from litestar.handlers import HTTPRouteHandler

from domain.accounts.permissions import Permission, permissions_for
from domain.accounts.service import Staff
from domain.bulk import service as bulk
from domain.db import fetch
from domain.events import service as events
from domain.ports import SystemClock
from domain.privacy import service as privacy
from domain.profiles import service as profiles
from tests.events_support import create_event, staff_browser
from tests.fixtures import Browser, sign_in_candidate
from tests.jobs_support import create_application, create_requisition
from tests.unit.test_profile_rules import PDF_BYTES

P = Permission
STAFF_ROLES = {"recruiter": ["recruiter"], "hm_x": ["hiring_manager"],
               "hm_y": ["hiring_manager"], "host": ["event_host"], "marketing": ["marketing"],
               "eeo": ["eeo_reporter"], "admin": ["admin"]}
PRINCIPALS = ("anonymous", "candidate_a", "candidate_b", *STAFF_ROLES)
MISSING = 987654  # an id no object has


@dataclass(frozen=True)
class Rule:
    """kind: public (anyone), token (anyone, the token decides: a bogus one gets
    `status`), redirect (303 for everyone: the page follows a step in the same session),
    uniform (no access control: the same status for everyone), candidate (a portal
    session; objects are the candidate's own), staff (a back-office session with
    `permission`; `scope` requisition or event limits objects to the ones the principal
    works on or hosts)."""

    kind: str
    permission: Permission | None = None
    scope: str = ""
    status: int = 200
    missing: int = 404  # what a permitted principal gets for an object that is not there
    signed_in: str = ""  # sign-in pages send "candidate" or "staff" who already are on


PUBLIC, REDIRECT, CANDIDATE = Rule("public"), Rule("redirect", status=303), Rule("candidate")


def token(status: int) -> Rule:
    return Rule("token", status=status)


def staff(permission: Permission, scope: str = "") -> Rule:
    return Rule("staff", permission, scope)


# Any signed-in staff member, whatever their roles (their own account pages).
SIGNED_IN_STAFF = Rule("staff")
WORK = staff(P.REQUISITIONS_WORK, "requisition")
HOST = staff(P.EVENTS_HOST, "event")

# Route → (rule, the owners of the objects its URLs name). Owners: X, Y (requisitions,
# their applications and interviews; events X hosted by the host, Y by nobody), A, B
# (the candidates' own objects), "-" (no object), "missing" (an id nothing has).
POLICY: dict[str, tuple[Rule, tuple[str, ...]]] = {
    # Portal: public pages.
    "/": (PUBLIC, ("-",)),
    "/jobs": (PUBLIC, ("-",)),
    "/jobs/{slug:str}": (PUBLIC, ("X",)),
    "/jobs/{slug:str}/apply": (PUBLIC, ("X",)),
    # Only right after applying in this session; anyone else is sent to the job page.
    "/jobs/{slug:str}/applied": (REDIRECT, ("X",)),
    "/jobs/{slug:str}/self-identification": (REDIRECT, ("X",)),
    "/events/{slug:str}/registered": (REDIRECT, ("X",)),
    "/communities/{slug:str}/check-email": (REDIRECT, ("-",)),
    "/account/sign-in/check-email": (REDIRECT, ("-",)),
    "/events": (PUBLIC, ("-",)),
    "/events/{slug:str}": (PUBLIC, ("X",)),
    "/events/{slug:str}/calendar.ics": (PUBLIC, ("X",)),
    "/communities/{slug:str}": (PUBLIC, ("-",)),
    "/communities/{slug:str}/welcome": (PUBLIC, ("-",)),
    "/account/sign-in": (Rule("public", signed_in="candidate"), ("-",)),
    "/account/deleted": (PUBLIC, ("-",)),
    # Readiness for the load balancer: 503 here, where no worker runs, for everyone alike.
    "/healthz": (Rule("uniform"), ("-",)),
    "/static/{file_path:path}": (PUBLIC, ("-",)),
    # Portal: the signed-in candidate's own pages and objects.
    "/account": (CANDIDATE, ("-",)),
    "/account/applications": (CANDIDATE, ("-",)),
    "/account/applications/{application_id:int}/withdraw": (CANDIDATE, ("A", "B")),
    "/account/data": (CANDIDATE, ("-",)),
    "/account/data/exports/{export_id:int}": (CANDIDATE, ("A", "B", "missing")),
    "/account/delete": (CANDIDATE, ("-",)),
    "/account/consent": (CANDIDATE, ("-",)),
    "/account/preferences": (CANDIDATE, ("-",)),
    "/account/profile": (CANDIDATE, ("-",)),
    "/account/profile/skills": (CANDIDATE, ("-",)),
    "/account/profile/cv/{cv_id:int}": (CANDIDATE, ("A", "B")),
    "/events/{slug:str}/ticket": (CANDIDATE, ("A",)),
    # Portal: links carrying a signed token; a bogus one is refused whoever follows it.
    "/account/magic/{token:str}": (token(400), ("-",)),
    "/account/sign-in/{provider:str}/callback": (token(404), ("-",)),
    "/confirm/{token:str}": (token(400), ("-",)),
    "/preferences/{token:str}": (token(400), ("-",)),
    "/preferences/{token:str}/consent": (token(400), ("-",)),
    "/u/{token:str}": (token(400), ("-",)),
    "/events/news/{token:str}": (token(400), ("-",)),
    "/events/offers/{token:str}": (token(400), ("-",)),
    "/events/registrations/{token:str}": (token(400), ("-",)),
    "/interviews/{token:str}": (token(400), ("-",)),
    "/interviews/availability/{token:str}": (token(400), ("-",)),
    "/offers/{token:str}": (token(400), ("-",)),
    # Email tracking: a forged open or click token gets the 404 page, never a redirect.
    "/o/{token:str}": (token(404), ("-",)),
    "/c/{token:str}": (token(404), ("-",)),
    # The API description is public (the API itself has its own auth).
    "/schema": (PUBLIC, ("-",)),
    "/schema/{path:str}": (token(404), ("-",)),
    "/schema/elements": (PUBLIC, ("-",)),
    "/schema/oauth2-redirect.html": (PUBLIC, ("-",)),
    "/schema/openapi.json": (PUBLIC, ("-",)),
    "/schema/openapi.yaml": (PUBLIC, ("-",)),
    "/schema/openapi.yml": (PUBLIC, ("-",)),
    "/schema/rapidoc": (PUBLIC, ("-",)),
    "/schema/redoc": (PUBLIC, ("-",)),
    "/schema/swagger": (PUBLIC, ("-",)),
    # Back office.
    "/backoffice": (REDIRECT, ("-",)),
    "/backoffice/login": (Rule("public", signed_in="staff"), ("-",)),
    "/backoffice/candidates": (staff(P.CANDIDATES_VIEW), ("-",)),
    "/backoffice/candidates/{person_id:int}": (staff(P.CANDIDATES_VIEW), ("A", "missing")),
    "/backoffice/candidates/duplicates": (staff(P.CANDIDATES_VIEW), ("-",)),
    # Merging is a recruiter's decision: hiring managers may not even preview one.
    "/backoffice/candidates/{person_id:int}/merge/{other_id:int}": (staff(P.CANDIDATES_MERGE),
                                                                    ("missing",)),
    "/backoffice/files/cv/{cv_id:int}": (staff(P.CANDIDATES_VIEW), ("A", "missing")),
    "/backoffice/mail": (staff(P.MAIL_OUTBOX_VIEW), ("-",)),
    "/backoffice/mail/{key:str}": (staff(P.MAIL_OUTBOX_VIEW), ("missing",)),
    "/backoffice/mail/{key:str}/html": (staff(P.MAIL_OUTBOX_VIEW), ("missing",)),
    "/backoffice/privacy/requests": (staff(P.PRIVACY_MANAGE), ("-",)),
    "/backoffice/audit": (staff(P.STAFF_MANAGE), ("-",)),
    "/backoffice/audit.csv": (staff(P.STAFF_MANAGE), ("-",)),
    # Staff administration; "-" is the recruiter's account.
    "/backoffice/staff": (staff(P.STAFF_MANAGE), ("-",)),
    "/backoffice/staff/invite": (staff(P.STAFF_MANAGE), ("-",)),
    "/backoffice/staff/{staff_id:int}": (staff(P.STAFF_MANAGE), ("-", "missing")),
    "/backoffice/integrations/tokens": (staff(P.INTEGRATIONS_MANAGE), ("-",)),
    "/backoffice/integrations/tokens/new": (staff(P.INTEGRATIONS_MANAGE), ("-",)),
    "/backoffice/integrations/webhooks": (staff(P.INTEGRATIONS_MANAGE), ("-",)),
    "/backoffice/integrations/webhooks/new": (staff(P.INTEGRATIONS_MANAGE), ("-",)),
    "/backoffice/integrations/webhooks/{subscription_id:int}": (
        staff(P.INTEGRATIONS_MANAGE), ("missing",)),
    "/backoffice/integrations/webhooks/{subscription_id:int}/edit": (
        staff(P.INTEGRATIONS_MANAGE), ("missing",)),
    "/backoffice/integrations/webhooks/{subscription_id:int}/deliveries": (
        staff(P.INTEGRATIONS_MANAGE), ("missing",)),
    "/backoffice/account/sessions": (SIGNED_IN_STAFF, ("-",)),
    "/backoffice/account/security": (SIGNED_IN_STAFF, ("-",)),
    # Staff SSO (off in this app: 404 for everyone); with it on, the callback is bound to
    # the flow in the browser's session, which a bogus one never matches.
    "/backoffice/sso/start": (token(404), ("-",)),
    "/backoffice/sso/callback": (token(404), ("-",)),
    "/backoffice/sso": (staff(P.SSO_MANAGE), ("-",)),
    # The TOTP step follows a password in the same session; anyone else goes back to it.
    "/backoffice/login/code": (REDIRECT, ("-",)),
    # An invited colleague's set-your-password link: a bogus one is refused for anyone.
    "/backoffice/invitations/{token:str}": (token(400), ("-",)),
    "/backoffice/reports/eeo": (staff(P.EEO_REPORT), ("-",)),
    # Pools and segments: "-" is a shared one, "P" a private one of the recruiter's.
    "/backoffice/pools": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/pools/new": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/pools/{pool_id:int}": (staff(P.POOLS_WORK, "owned"), ("-", "P", "missing")),
    "/backoffice/segments": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/segments/new": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/pools/{pool_id:int}/review": (staff(P.POOLS_WORK, "owned"),
                                               ("-", "P", "missing")),
    # Bulk actions: "P" is an export the recruiter ran (its creator and admins only);
    # the confirmation without a pool or segment names nobody (404). Downloading contact
    # data needs the export permission, not just pool work (marketing: 403).
    "/backoffice/bulk/new": (staff(P.POOLS_WORK), ("missing",)),
    "/backoffice/bulk/{bulk_id:int}": (staff(P.POOLS_WORK, "created"), ("P", "missing")),
    "/backoffice/bulk/{bulk_id:int}/download": (staff(P.CANDIDATES_EXPORT, "created"),
                                                ("P", "missing")),
    "/backoffice/segments/{segment_id:int}": (staff(P.POOLS_WORK, "owned"),
                                              ("-", "P", "missing")),
    # People imports: shared among everyone who works with pools; ids that do not exist.
    "/backoffice/imports": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/imports/new": (staff(P.POOLS_WORK), ("-",)),
    "/backoffice/imports/{import_id:int}": (staff(P.POOLS_WORK), ("missing",)),
    "/backoffice/imports/{import_id:int}/progress": (staff(P.POOLS_WORK), ("missing",)),
    "/backoffice/skills": (staff(P.SKILLS_MANAGE), ("-",)),
    "/backoffice/skills/new": (staff(P.SKILLS_MANAGE), ("-",)),
    "/backoffice/skills/unmatched": (staff(P.SKILLS_MANAGE), ("-",)),
    "/backoffice/skills/{skill_id:int}": (staff(P.SKILLS_MANAGE), ("-", "missing")),
    "/backoffice/skills/{skill_id:int}/merge": (staff(P.SKILLS_MANAGE), ("-", "missing")),
    # Marketing templates: "-" is one created for the world (any marketing template).
    "/backoffice/campaigns/templates": (staff(P.MARKETING_CONTENT), ("-",)),
    "/backoffice/campaigns/templates/new": (staff(P.MARKETING_CONTENT), ("-",)),
    "/backoffice/campaigns/templates/{marketing_template_id:int}": (
        staff(P.MARKETING_CONTENT), ("-", "missing")),
    "/backoffice/campaigns/templates/{marketing_template_id:int}/preview": (
        staff(P.MARKETING_CONTENT), ("-", "missing")),
    "/backoffice/campaigns/templates/{marketing_template_id:int}/preview/html": (
        staff(P.MARKETING_CONTENT), ("-", "missing")),
    # Campaigns: "-" is a draft CSV campaign created for the world.
    "/backoffice/campaigns": (staff(P.CAMPAIGNS_MANAGE), ("-",)),
    "/backoffice/campaigns/new": (staff(P.CAMPAIGNS_MANAGE), ("-",)),
    "/backoffice/campaigns/settings": (staff(P.MARKETING_SETTINGS), ("-",)),
    "/backoffice/campaigns/{campaign_id:int}": (staff(P.CAMPAIGNS_MANAGE), ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/edit": (staff(P.CAMPAIGNS_MANAGE),
                                                     ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/eligibility": (staff(P.CAMPAIGNS_MANAGE),
                                                            ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/preview": (staff(P.CAMPAIGNS_MANAGE),
                                                        ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/preview/html": (staff(P.CAMPAIGNS_MANAGE),
                                                             ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/approve": (staff(P.CAMPAIGNS_APPROVE),
                                                        ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/in-doubt": (staff(P.CAMPAIGNS_APPROVE),
                                                         ("-", "missing")),
    # Reports (read-only); their CSV carries contact data: CANDIDATES_EXPORT too (every
    # role with it also manages campaigns, so marketing is the one refused).
    "/backoffice/campaigns/{campaign_id:int}/report": (staff(P.CAMPAIGNS_MANAGE),
                                                       ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/report/people": (staff(P.CAMPAIGNS_MANAGE),
                                                              ("-", "missing")),
    "/backoffice/campaigns/{campaign_id:int}/report/people.csv": (
        staff(P.CANDIDATES_EXPORT), ("-", "missing")),
    # Sequence reports: "-" is a draft sequence created for the world.
    "/backoffice/sequences/{sequence_id:int}/report": (staff(P.CAMPAIGNS_MANAGE),
                                                       ("-", "missing")),
    "/backoffice/sequences/{sequence_id:int}/report/people": (staff(P.CAMPAIGNS_MANAGE),
                                                              ("-", "missing")),
    "/backoffice/sequences/{sequence_id:int}/report/people.csv": (
        staff(P.CANDIDATES_EXPORT), ("-", "missing")),
    # Nurture sequences: "-" is a sequence created for the world; My tasks is every
    # staff member's own list.
    "/backoffice/sequences": (staff(P.CAMPAIGNS_MANAGE), ("-",)),
    "/backoffice/sequences/new": (staff(P.CAMPAIGNS_MANAGE), ("-",)),
    "/backoffice/sequences/{sequence_id:int}": (staff(P.CAMPAIGNS_MANAGE), ("-", "missing")),
    "/backoffice/sequences/{sequence_id:int}/enrollments": (staff(P.CAMPAIGNS_MANAGE),
                                                            ("-", "missing")),
    "/backoffice/tasks": (SIGNED_IN_STAFF, ("-",)),
    "/backoffice/hiring-setup": (staff(P.HIRING_SETUP), ("-",)),
    "/backoffice/hiring-setup/reasons": (staff(P.HIRING_SETUP), ("-",)),
    "/backoffice/hiring-setup/emails": (staff(P.HIRING_SETUP), ("-",)),
    "/backoffice/hiring-setup/emails/new": (staff(P.HIRING_SETUP), ("-",)),
    # template_id is the first stage template's id (1), which a seeded email template has.
    "/backoffice/hiring-setup/emails/{template_id:int}": (staff(P.HIRING_SETUP),
                                                          ("-", "missing")),
    "/backoffice/hiring-setup/templates/new": (staff(P.HIRING_SETUP), ("-",)),
    "/backoffice/hiring-setup/templates/{template_id:int}": (staff(P.HIRING_SETUP),
                                                            ("-", "missing")),
    "/backoffice/requisitions": (staff(P.REQUISITIONS_WORK), ("-",)),
    "/backoffice/requisitions/new": (staff(P.REQUISITIONS_ALL), ("-",)),
    "/backoffice/requisitions/{requisition_id:int}": (WORK, ("X", "Y", "missing")),
    "/backoffice/requisitions/{requisition_id:int}/board": (WORK, ("X", "Y")),
    "/backoffice/requisitions/{requisition_id:int}/pipeline": (WORK, ("X", "Y")),
    "/backoffice/requisitions/{requisition_id:int}/metrics": (WORK, ("X", "Y")),
    "/backoffice/requisitions/{requisition_id:int}/settings": (WORK, ("X", "Y")),
    "/backoffice/requisitions/{requisition_id:int}/stages": (WORK, ("X", "Y")),
    "/backoffice/requisitions/{requisition_id:int}/team": (WORK, ("X", "Y")),
    "/backoffice/applications/{application_id:int}": (WORK, ("X", "Y", "missing")),
    "/backoffice/applications/{application_id:int}/cv": (WORK, ("X", "Y")),
    "/backoffice/applications/{application_id:int}/interviews/new": (WORK, ("X", "Y")),
    "/backoffice/applications/{application_id:int}/scorecard": (WORK, ("X", "Y")),
    "/backoffice/applications/{application_id:int}/offer": (WORK, ("X", "Y")),
    "/backoffice/interviews/{interview_id:int}/reschedule": (WORK, ("X", "Y")),
    "/backoffice/events": (HOST, ("-",)),
    "/backoffice/events/new": (HOST, ("-",)),
    "/backoffice/events/{event_id:int}": (HOST, ("X", "Y", "missing")),
    "/backoffice/events/{event_id:int}/edit": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/attendance": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/checkin": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/message": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/registrations": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/registrations.csv": (HOST, ("X", "Y")),
    "/backoffice/events/{event_id:int}/roi/{stage:str}": (HOST, ("X", "Y")),
    # A ticket token that does not verify is a bad request for those who may check in.
    "/backoffice/events/tickets/{token:str}": (Rule("staff", P.EVENTS_HOST, missing=400),
                                               ("missing",)),
}


def get_routes(app) -> set[str]:
    # /api/v1 has no sessions or roles: its token scope by route matrix is its own policy
    # table, held to the same standard in tests/api/test_scope_matrix.py.
    return {route.path for route in app.routes
            for handler in getattr(route, "route_handlers", [])
            if isinstance(handler, HTTPRouteHandler) and "GET" in handler.http_methods
            and not route.path.startswith("/api/")}


def expected(principal: str, rule: Rule, owner: str) -> int:
    candidate = principal.startswith("candidate_")
    if rule.signed_in:
        already = candidate if rule.signed_in == "candidate" else \
            principal in STAFF_ROLES
        return 303 if already else rule.status
    if rule.kind in ("public", "token", "redirect"):
        return rule.status
    if rule.kind == "candidate":
        if not candidate:
            return 303  # staff have no portal session: sign in as a candidate
        own = principal[-1].upper()
        return rule.missing if owner == "missing" or (owner in "AB" and owner != own) \
            else 200
    if principal == "anonymous" or candidate:
        return 303  # no back-office session
    granted = permissions_for(STAFF_ROLES[principal])
    if rule.permission is not None and rule.permission not in granted:
        return 403
    if owner == "missing":
        return rule.missing
    if rule.scope == "requisition" and P.REQUISITIONS_ALL not in granted:
        return 200 if principal == f"hm_{owner.lower()}" else 404
    if rule.scope == "owned" and owner == "P":
        return 200 if principal == "recruiter" else 404  # private: its owner only
    if rule.scope == "created":
        return 200 if principal in ("recruiter", "admin") else 404  # creator or admin
    if rule.scope == "event" and P.EVENTS_ALL not in granted:
        return 200 if owner in ("-", "X") else 404  # the host hosts X only
    return 200


def sign_in_page(rule: Rule) -> str:
    return "/account/sign-in" if rule.kind == "candidate" else "/backoffice/login"


@dataclass
class World:
    ids: dict[str, dict[str, object]]  # parameter name → owner → value
    browsers: dict[str, Browser]


def concrete(path: str, owner: str, world: World) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        by_owner = world.ids.get(name, {})
        if owner == "missing":
            return str(by_owner.get("missing", MISSING))
        return str(by_owner.get(owner, by_owner.get("-", MISSING)))

    return re.sub(r"\{([a-z_]+):[a-z]+\}", value, path)


async def _world(app, clock) -> World:
    staff_ids, browsers = {}, {}
    for name, roles in STAFF_ROLES.items():
        browsers[name] = await staff_browser(app, f"{name}@test.local", roles)
        staff_ids[name] = (await fetch("SELECT id FROM staff_users WHERE email = $1",
                                       f"{name}@test.local"))[0]["id"]
    people, cvs, exports = {}, {}, {}
    for owner in "AB":
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://testserver")
        browsers[f"candidate_{owner.lower()}"] = candidate = Browser(client)
        people[owner] = await sign_in_candidate(candidate, f"cand-{owner.lower()}@example.com")
        cvs[owner] = (await profiles.upload_cv(people[owner], filename="cv.pdf", data=PDF_BYTES,
                                               clock=clock))["id"]
        request = await privacy.request_export(person_id=people[owner], clock=SystemClock(),
                                               queue=None)
        await privacy.build_export(request, clock=SystemClock(), queue=None)
        exports[owner] = (await fetch("SELECT id FROM data_exports WHERE person = $1",
                                      people[owner]))[0]["id"]
    browsers["anonymous"] = Browser(httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                      base_url="http://testserver"))
    requisitions, applications, interviews = {}, {}, {}
    for owner, person in (("X", "A"), ("Y", "B")):
        requisition = await create_requisition(
            f"job-{owner.lower()}", members={staff_ids[f"hm_{owner.lower()}"]:
                                             "hiring_manager"})
        requisitions[owner] = requisition
        application = await create_application(requisition["id"], people[person])
        await fetch("UPDATE applications SET cv_file = $2 WHERE id = $1", application["id"],
                    cvs[person])
        applications[owner] = application["id"]
        interviews[owner] = (await fetch(
            "INSERT INTO interviews (application, stage, title, status, created_by, "
            "created_at, updated_at) VALUES ($1, $2, 'Technical interview', 'proposed', "
            "'recruiter@test.local', now(), now()) RETURNING id", application["id"],
            application["stage"]))[0]["id"]
    event_ids = {}
    for owner in "XY":
        event = await create_event(f"meetup-{owner.lower()}", capacity=20)
        event_ids[owner] = event["id"]
        if owner == "X":
            await fetch("INSERT INTO event_hosts (event, staff, role, created_at) "
                        "VALUES ($1, $2, 'owner', now())", event["id"], staff_ids["host"])
    await events.register("meetup-x", people["A"], clock=SystemClock(), queue=None)
    pools = {}
    for owner, visibility in (("-", "shared"), ("P", "private")):
        pools[owner] = (await fetch(
            "INSERT INTO talent_pools (name, visibility, owner, created_at, updated_at) "
            "VALUES ($1, $2, $3, now(), now()) RETURNING id", f"Pool {owner}", visibility,
            staff_ids["recruiter"]))[0]["id"]
    segments = {}
    for owner, visibility in (("-", "shared"), ("P", "private")):
        segments[owner] = (await fetch(
            "INSERT INTO segments (name, definition, visibility, owner, created_at, updated_at) "
            "VALUES ($1, $2::jsonb, $3, $4, now(), now()) RETURNING id", f"Segment {owner}",
            '{"match": "all", "conditions": [{"field": "source", "op": "in", '
            '"value": ["portal"]}]}', visibility, staff_ids["recruiter"]))[0]["id"]
    recruiter = Staff(staff_ids["recruiter"], "recruiter@test.local", "R", ("recruiter",))
    bulk_export = await bulk.start("export_csv", {"person_ids": [people["A"]]}, {},
                                   staff=recruiter, now=SystemClock().now(), queue=None)
    template = await fetch("SELECT id FROM stage_templates ORDER BY id LIMIT 1")
    marketing_template = await fetch(
        "INSERT INTO marketing_templates (name, purpose, subject, html_body, created_at, "
        "updated_at) VALUES ('News', 'event_emails', 'News', '<p>{{ unsubscribe_url }} "
        "{{ postal_address }}</p>', now(), now()) RETURNING id")
    campaign = await fetch(
        "INSERT INTO campaigns (name, purpose, subject, html_body, audience_kind, created_at, "
        "updated_at) VALUES ('Spring', 'event_emails', 'News', '<p>{{ unsubscribe_url }} "
        "{{ postal_address }}</p>', 'csv', now(), now()) RETURNING id")
    sequence = await fetch(
        "INSERT INTO sequences (name, purpose, created_at, updated_at) "
        "VALUES ('Welcome', 'community_emails', now(), now()) RETURNING id")
    ids: dict[str, dict[str, object]] = {
        "requisition_id": {k: v["id"] for k, v in requisitions.items()},
        "application_id": {**applications,
                           **{k: applications[o] for k, o in (("A", "X"), ("B", "Y"))}},
        "interview_id": interviews, "event_id": event_ids,
        "slug": {"X": "job-x", "-": "engineering"}, "person_id": people, "cv_id": cvs,
        "template_id": {"-": template[0]["id"]},
        "marketing_template_id": {"-": marketing_template[0]["id"]},
        "campaign_id": {"-": campaign[0]["id"]},
        "sequence_id": {"-": sequence[0]["id"]},
        "token": {"-": "not-a-real-token"},
        "key": {"missing": "no-such-message"}, "provider": {"-": "github"},
        "path": {"-": "no-such-page"}, "file_path": {"-": "css/talentloop.css"},
        "stage": {"-": "applied"}, "export_id": exports, "pool_id": pools,
        "segment_id": segments, "bulk_id": {"P": bulk_export},
        "staff_id": {"-": staff_ids["recruiter"]},
        "skill_id": {"-": (await fetch("SELECT id FROM skills WHERE slug = 'python'"))[0]["id"]},
    }
    return World(ids, browsers)


@pytest.fixture
async def world(app, clock, community):
    built = await _world(app, clock)
    yield built
    for browser in built.browsers.values():
        await browser.client.aclose()


def test_every_policy_entry_names_a_route_that_exists(app):
    stale = sorted(set(POLICY) - get_routes(app))
    assert not stale, f"policy entries for routes that no longer exist: {stale}"


def test_every_get_route_has_a_policy(app):
    missing = sorted(get_routes(app) - set(POLICY))
    assert not missing, f"GET routes without an access policy in A1: {missing}"


def test_the_policy_matches_the_route_guards(app):
    """A staff route's declared permission is the one its guard checks."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            rule = POLICY.get(route.path, (None,))[0]
            if not isinstance(handler, HTTPRouteHandler) or rule is None or \
                    rule.kind != "staff" or "GET" not in handler.http_methods:
                continue
            checked = {cell.cell_contents for guard in handler.guards or []
                       for cell in (guard.__closure__ or ())
                       if isinstance(cell.cell_contents, Permission)}
            assert checked in ({rule.permission}, set()), (route.path, checked)


async def test_every_principal_gets_what_the_policy_says_on_every_get_route(app, world):
    mismatches, checked = [], 0
    for path in sorted(get_routes(app)):
        rule, owners = POLICY[path]
        event_slugs = path.startswith("/events/{slug")
        for owner in owners:
            url = concrete(path.replace("{slug:str}", "meetup-x") if event_slugs else path,
                           owner, world)
            first = None
            for principal in PRINCIPALS:
                response = await world.browsers[principal].get(url)
                checked += 1
                first = first or response.status_code
                want = first if rule.kind == "uniform" else expected(principal, rule, owner)
                got = response.status_code
                location = response.headers.get("location", "")
                if got != want or (want == 303 and rule.kind in ("candidate", "staff")
                                   and not location.startswith(sign_in_page(rule))):
                    mismatches.append(f"{principal:<11} {url:<60} want {want} got {got} "
                                      f"{location}")
    assert not mismatches, "\n" + "\n".join(mismatches)
    assert checked >= len(PRINCIPALS) * len(POLICY)  # every principal, every route

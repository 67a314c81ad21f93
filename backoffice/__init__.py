"""The staff back office at `/backoffice`. Each controller module lists its ROUTES."""

from litestar import Router

from backoffice.controllers import (
    account,
    api_tokens,
    applications,
    audit_log,
    auth,
    bulk,
    campaign_reports,
    campaigns,
    candidates,
    event_attendance,
    event_checkin,
    event_messages,
    event_registrations,
    events,
    files,
    hiring_setup,
    imports,
    interviews,
    invitations,
    mail,
    marketing_templates,
    offers,
    pipeline,
    pool_review,
    pools,
    privacy,
    reports,
    requisition_metrics,
    requisition_stages,
    requisition_team,
    requisitions,
    scorecards,
    security,
    segments,
    sequence_reports,
    sequences,
    skills,
    sso,
    sso_settings,
    staff,
    webhooks,
)
from backoffice.permissions import denied_handler
from backoffice.totp_guard import enrolment_guard
from domain.errors import PermissionDenied

CONTROLLERS = [auth, candidates, mail, files, privacy, events, event_registrations,
               event_messages, event_checkin, event_attendance, requisitions,
               requisition_stages, requisition_team, hiring_setup,
               pipeline, applications, audit_log, reports, requisition_metrics,
               interviews, scorecards, offers, pools, pool_review, bulk, segments, skills,
               imports, staff, account, invitations, api_tokens, sso, sso_settings,
               security, webhooks, marketing_templates, campaign_reports, sequence_reports,
               sequences, campaigns]


def create_router(*, middleware: list) -> Router:
    handlers = [handler for module in CONTROLLERS for handler in module.ROUTES]
    return Router(path="/backoffice", route_handlers=handlers, middleware=middleware,
                  exception_handlers={PermissionDenied: denied_handler},
                  before_request=enrolment_guard)

"""The candidate portal: public pages at `/`. Each controller module lists its ROUTES."""

from litestar import Router

from portal.controllers import (
    account,
    applications,
    communities,
    confirm,
    event_links,
    event_news,
    event_tickets,
    events,
    home,
    interview_availability,
    interviews,
    jobs,
    offers,
    preferences,
    privacy,
    profile,
    social,
    unsubscribe,
)

CONTROLLERS = [home, communities, confirm, account, social, profile, privacy, preferences,
               unsubscribe, event_links, event_news, event_tickets, events, jobs, applications,
               interview_availability, interviews, offers]


def create_router(*, middleware: list) -> Router:
    handlers = [handler for module in CONTROLLERS for handler in module.ROUTES]
    return Router(path="/", route_handlers=handlers, middleware=middleware)

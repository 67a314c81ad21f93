"""The staff back office at `/backoffice`. Each controller module lists its ROUTES."""

from litestar import Router

from backoffice.controllers import (
    auth,
    candidates,
    event_attendance,
    event_checkin,
    event_messages,
    event_registrations,
    events,
    files,
    mail,
    privacy,
)

CONTROLLERS = [auth, candidates, mail, files, privacy, events, event_registrations,
               event_messages, event_checkin, event_attendance]


def create_router(*, middleware: list) -> Router:
    handlers = [handler for module in CONTROLLERS for handler in module.ROUTES]
    return Router(path="/backoffice", route_handlers=handlers, middleware=middleware)

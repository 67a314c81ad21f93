"""The staff back office at `/backoffice`. Each controller module lists its ROUTES."""

from litestar import Router

from backoffice.controllers import auth, candidates, files, mail, privacy

CONTROLLERS = [auth, candidates, mail, files, privacy]


def create_router(*, middleware: list) -> Router:
    handlers = [handler for module in CONTROLLERS for handler in module.ROUTES]
    return Router(path="/backoffice", route_handlers=handlers, middleware=middleware)

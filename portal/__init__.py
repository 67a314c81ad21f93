"""The candidate portal: public pages at `/`. Each controller module lists its ROUTES."""

from litestar import Router

from portal.controllers import account, communities, confirm, home

CONTROLLERS = [home, communities, confirm, account]


def create_router(*, middleware: list) -> Router:
    handlers = [handler for module in CONTROLLERS for handler in module.ROUTES]
    return Router(path="/", route_handlers=handlers, middleware=middleware)

"""The candidate portal: public pages at `/`."""

from litestar import Router

from portal.controllers import communities, confirm, home


def create_router(*, middleware: list) -> Router:
    return Router(
        path="/",
        route_handlers=[
            home.index,
            communities.detail,
            communities.join,
            communities.check_email,
            communities.welcome,
            confirm.show,
            confirm.submit,
        ],
        middleware=middleware,
    )

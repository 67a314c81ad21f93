"""The staff back office at `/backoffice`."""

from litestar import Router

from backoffice.controllers import auth, candidates, mail


def create_router(*, middleware: list) -> Router:
    return Router(
        path="/backoffice",
        route_handlers=[
            auth.login_page,
            auth.login_submit,
            auth.logout,
            candidates.home,
            candidates.index,
            candidates.detail,
            mail.index,
            mail.detail,
            mail.html_body,
        ],
        middleware=middleware,
    )

"""The ASGI apps behind the lower rungs of B1, each served by its own uvicorn process.

(a) `raw_app`: the ceiling, a bare ASGI callable answering 13 bytes.
(b) `hello_app` (factory): Litestar with one plain-text handler, so b/a is the framework's cost.
(c) `portal_page_app` (factory): a tiny Litestar app rendering the real
    `portal/communities/detail.html` with the template config of `asgi.create_app` and a
    fixed context shaped like what (d) renders for /communities/engineering. No DB, no
    session/CSRF middleware: c/b is the cost of Jinja2 rendering a real page.
(d) is the real app (`asgi:create_app`) and needs nothing here.
"""

# No `from __future__ import annotations`: Litestar resolves handler annotations from
# module globals, and the handlers below import Template/bytes types locally.
from typing import Any

BODY = b"Hello, world!"  # 13 bytes, the classic plaintext benchmark body
_RAW_HEADERS = [
    (b"content-type", b"text/plain"),
    (b"content-length", str(len(BODY)).encode()),
]


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        # Startup then shutdown, answered so uvicorn logs no lifespan error.
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _RAW_HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def hello_app() -> Any:
    """Factory (`uvicorn --factory`), so importing this module builds no app."""
    from litestar import Litestar, MediaType, get

    @get("/", media_type=MediaType.TEXT, sync_to_thread=False)
    def hello() -> bytes:
        return BODY

    return Litestar(route_handlers=[hello], debug=False)


def page_context() -> dict[str, Any]:
    """The context `portal.controllers.communities.detail` passes for a blank join form."""
    from domain.bootstrap import COMMUNITY_CONSENT_TEXT
    from domain.demo.data import COMMUNITIES

    community = next(c for c in COMMUNITIES if c["slug"] == "engineering")
    options = [(value, value.replace("-", " ").capitalize()) for value in community["interests"]]
    return {
        "community": {"id": 1, "slug": community["slug"], "name": community["name"],
                      "description": community["description"],
                      "interest_options": community["interests"]},
        "consent_text": {"id": 1, "purpose": "community_emails", "version": 1,
                         "body": COMMUNITY_CONSENT_TEXT.format(company="Acme")},
        "form": {"full_name": "", "email": "", "interests": []},
        "errors": {},
        "interest_options": options,
        "csrf_token": "",
    }


def portal_page_app() -> Any:
    """Factory (`uvicorn --factory`): reads settings from the environment at start."""
    from litestar import Litestar, get
    from litestar.response import Template

    # The private helper is used on purpose: it *is* the template config of
    # `asgi.create_app` (directory, filters, brand globals), so (c) renders exactly
    # what production renders without building the whole app.
    from asgi import _configure_templates
    from settings import get_settings

    context = page_context()

    @get("/communities/engineering", sync_to_thread=False)
    def detail() -> Template:
        return Template(template_name="portal/communities/detail.html", context=context)

    return Litestar(route_handlers=[detail], template_config=_configure_templates(get_settings()),
                    debug=False)

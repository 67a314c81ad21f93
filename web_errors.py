"""Every error becomes a friendly page (or RFC 9457 problem details for JSON clients),
never a stack trace. Domain errors map to HTTP statuses here and only here."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect

from domain.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from web_common import page
from web_sessions import SESSION_ENDED

log = logging.getLogger("talentloop.errors")

DOMAIN_STATUS = {NotFound: 404, PermissionDenied: 403, Conflict: 409, Invalid: 422}

FRIENDLY = {
    400: ("That request did not make sense", "Something in the address or form was not valid."),
    403: ("You can't do that", "Your account does not have access to this page."),
    404: ("Page not found", "The page may have moved, or the link may be incomplete."),
    405: ("That didn't work", "This page cannot be used that way."),
    409: ("That already happened", "The thing you tried to change has changed already."),
    410: ("This link has expired", "Ask for a new link and try again."),
    422: ("Please check your input", "Something you entered was not valid."),
    429: ("Slow down a little", "Too many attempts. Wait a minute and try again."),
    500: ("Something went wrong on our side", "We have been notified. Please try again."),
    503: ("We'll be right back", "The service is briefly unavailable. Please try again."),
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    return path.startswith(("/api/", "/schema", "/healthz")) or (
        "application/json" in accept and "text/html" not in accept
    )


def _render(request: Request, status: int, detail: str | None) -> Response:
    title, default_detail = FRIENDLY.get(status, (HTTPStatus(status).phrase, ""))
    if _wants_json(request):
        return Response(
            {"type": "about:blank", "title": title, "status": status,
             "detail": detail or default_detail},
            status_code=status, media_type="application/problem+json",
        )
    side = "backoffice" if request.url.path.startswith("/backoffice") else "portal"
    response = page(request, "errors/error.html", status_code=status, title=title,
                    error_status=status,
                    detail=detail or default_detail, side=side, current_staff=None)
    response.media_type = MediaType.HTML
    return response


def _domain_error(request: Request, exc: DomainError) -> Response:
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    return _render(request, status, str(exc) or None)


def _http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        sign_in = "/backoffice/login" if request.url.path.startswith("/backoffice") \
            else "/account/sign-in"
        ended = "&ended=1" if request.scope.get(SESSION_ENDED) else ""
        return Redirect(f"{sign_in}?next={target}{ended}", status_code=303)
    generic = exc.detail == HTTPStatus(exc.status_code).phrase
    detail = exc.detail if exc.status_code < 500 and not generic else None
    if exc.status_code == 403 and "CSRF" in (exc.detail or ""):
        detail = "This form expired or came from another site. Go back, reload and try again."
    response = _render(request, exc.status_code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value  # e.g. Retry-After on 429
    return response


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _render(request, 500, None)


def exception_handlers() -> dict:
    return {DomainError: _domain_error, HTTPException: _http_error, Exception: _unexpected}

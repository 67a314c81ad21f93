"""RFC 9457 problem details for every /api error, with an `errors` member listing each
bad field for 400 and 422 (web_errors renders the rest the same way for /api paths)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from domain.errors import DomainError, Invalid
from web_errors import FRIENDLY, exception_handlers

PROBLEM = "application/problem+json"


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem; `errors` names each field that was refused."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


def problem(status: int, detail: str, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    title = FRIENDLY.get(status, ("Error", ""))[0]
    body = Problem(type="about:blank", title=title, status=status, detail=detail,
                   errors=errors or [])
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_of(item: dict[str, Any]) -> str:
    key = str(item.get("key") or "")
    message = str(item.get("message") or "")
    if not key and "at `$." in message:  # msgspec: "Expected `int`, got `str` - at `$.limit`"
        key = message.rsplit("at `$.", 1)[1].rstrip("`")
    return key or str(item.get("source") or "body")


def _validation(request: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [FieldError(_field_of(item), str(item.get("message") or "Not valid."))
              for item in extra if isinstance(item, dict)]
    return problem(400, "The request was not valid: see `errors`.", errors)


def _domain(request: Request, exc: DomainError) -> Response:
    if isinstance(exc, Invalid):
        errors = [FieldError(field, message) for field, message in exc.errors.items()]
        return problem(422, str(exc), errors)
    return exception_handlers()[DomainError](request, exc)


def handlers() -> dict:
    return {ValidationException: _validation, DomainError: _domain,
            HTTPException: exception_handlers()[HTTPException],
            Exception: exception_handlers()[Exception]}

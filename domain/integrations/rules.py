"""Pure rules for API tokens: the scope enumeration and the admin's create form."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

# The areas of /api/v1; each has a read and a write scope, and write implies read.
AREAS: tuple[str, ...] = ("people", "communities", "engagement", "events", "requisitions",
                          "applications", "pools")
SCOPES: tuple[str, ...] = tuple(f"{area}:{kind}" for area in AREAS for kind in ("read", "write"))
TOKEN_PREFIX = "tl_"  # noqa: S105  # a marker, not a secret
PREFIX_LENGTH = 10  # "tl_" and 7 characters: enough to tell tokens apart in a list
MAX_NAME_LENGTH = 120
MAX_EXPIRY_DAYS = 730
DEFAULT_RATE_LIMIT = 600
MAX_RATE_LIMIT = 10_000


def grants(scopes: Iterable[str], needed: str) -> bool:
    """Whether a token's scopes allow `needed` (`area:read|write`); write implies read."""
    held = set(scopes)
    area, _, kind = needed.partition(":")
    return needed in held or (kind == "read" and f"{area}:write" in held)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenDraft:
    name: str
    scopes: tuple[str, ...]
    expiry_days: int | None
    rate_limit_per_minute: int


def _whole_number(raw: str, *, low: int, high: int, message: str) -> tuple[int | None, str]:
    text = raw.strip()
    if not text:
        return None, ""
    if not text.isdigit() or not low <= int(text) <= high:
        return None, message
    return int(text), ""


def parse_token_form(name: str, scopes: Iterable[str], expiry_days: str,
                     rate_limit: str) -> tuple[TokenDraft, dict[str, str]]:
    errors: dict[str, str] = {}
    clean = " ".join(name.split())
    if not clean:
        errors["name"] = "Name the token after what uses it (\"HRIS sync\")."
    elif len(clean) > MAX_NAME_LENGTH:
        errors["name"] = f"Keep the name under {MAX_NAME_LENGTH} characters."
    given = {str(scope) for scope in scopes}
    if given - set(SCOPES):
        errors["scopes"] = "Choose scopes from the list."
    elif not given:
        errors["scopes"] = "Choose at least one scope."
    days, message = _whole_number(expiry_days, low=1, high=MAX_EXPIRY_DAYS,
                                  message=f"Enter a number of days from 1 to {MAX_EXPIRY_DAYS}, "
                                          "or leave it empty for no expiry.")
    if message:
        errors["expiry_days"] = message
    limit, message = _whole_number(rate_limit, low=1, high=MAX_RATE_LIMIT,
                                   message=f"Enter requests per minute from 1 to "
                                           f"{MAX_RATE_LIMIT}.")
    if message:
        errors["rate_limit"] = message
    chosen = tuple(scope for scope in SCOPES if scope in given)
    return TokenDraft(clean[:MAX_NAME_LENGTH], chosen, days,
                      limit or DEFAULT_RATE_LIMIT), errors

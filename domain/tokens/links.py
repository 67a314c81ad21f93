"""Stateless signed links naming one record ("<kind>:<id>"), for one purpose each.

Not single use: the record's own state machine makes a replay harmless (a cancelled
registration cannot be cancelled twice, an answered offer takes no second answer), so a
link keeps working for as long as its purpose allows. Single-use links (magic links,
double opt-in) go through `domain.tokens.service` instead.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.tokens.signer import Purpose, TokenError, TokenExpired, new_nonce, sign, unsign
from settings import get_settings


class LinkInvalid(DomainError):
    """Forged, tampered or other-purpose link: pages answer 400 (not a rule the person
    broke)."""


class LinkExpired(LinkInvalid):
    """A genuine link past its purpose's age: pages may answer 410."""


def sign_record(purpose: Purpose, kind: str, record_id: int) -> str:
    return sign(get_settings().secret_key, purpose, f"{kind}:{record_id}", new_nonce())


def record_from(purpose: Purpose, kind: str, token: str, *, invalid: str,
                expired: str | None = None) -> int:
    """The id a genuine token of this purpose names; LinkExpired(expired or invalid) for
    an old one, LinkInvalid(invalid) for anything else."""
    try:
        claims = unsign(get_settings().secret_key, purpose, token)
    except TokenExpired as exc:
        raise LinkExpired(expired or invalid) from exc
    except TokenError as exc:
        raise LinkInvalid(invalid) from exc
    prefix, _, raw = claims.subject.partition(":")
    if prefix != kind or not raw.isdigit() or len(raw) > 12:
        raise LinkInvalid(invalid)
    return int(raw)

"""The signed link in the offer letter that lets the candidate accept or decline.

Not single use: answering is guarded by the offer's status (only a sent offer takes an
answer), so a replayed link shows the answer already given instead of changing it.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.offers import rules
from domain.tokens.signer import Purpose, TokenError, TokenExpired, new_nonce, sign, unsign
from settings import get_settings


class LinkInvalid(DomainError):
    """Forged or tampered link: the portal answers 400."""


class LinkExpired(LinkInvalid):
    """A genuine link past its age: the portal answers 410."""


def response_token(offer_id: int) -> str:
    return sign(get_settings().secret_key, Purpose.OFFER_RESPONSE, rules.subject(offer_id),
                new_nonce())


def offer_from_token(token: str) -> int:
    try:
        claims = unsign(get_settings().secret_key, Purpose.OFFER_RESPONSE, token)
    except TokenExpired as exc:
        raise LinkExpired("This offer link has expired. Reply to the offer email and we "
                          "will get back to you.") from exc
    except TokenError as exc:
        raise LinkInvalid("This offer link is not valid. Open it straight from the "
                          "email; a copied link may be incomplete.") from exc
    offer_id = rules.offer_id(claims.subject)
    if not offer_id:
        raise LinkInvalid("This offer link is not valid.")
    return offer_id


def response_url(offer_id: int) -> str:
    return f"{get_settings().base_url}/offers/{response_token(offer_id)}"

"""The signed link in the offer letter that lets the candidate accept or decline.

Not single use: answering is guarded by the offer's status (only a sent offer takes an
answer), so a replayed link shows the answer already given instead of changing it.
"""

from __future__ import annotations

from domain.tokens.links import LinkExpired, LinkInvalid, record_from, sign_record
from domain.tokens.signer import Purpose
from settings import get_settings

__all__ = ["LinkExpired", "LinkInvalid", "offer_from_token", "response_token", "response_url"]


def response_token(offer_id: int) -> str:
    return sign_record(Purpose.OFFER_RESPONSE, "offer", offer_id)


def offer_from_token(token: str) -> int:
    return record_from(
        Purpose.OFFER_RESPONSE, "offer", token,
        invalid="This offer link is not valid. Open it straight from the email; a copied "
                "link may be incomplete.",
        expired="This offer link has expired. Reply to the offer email and we will get "
                "back to you.")


def response_url(offer_id: int) -> str:
    return f"{get_settings().base_url}/offers/{response_token(offer_id)}"

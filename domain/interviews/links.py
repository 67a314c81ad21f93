"""The signed link a candidate uses to choose one of the offered interview slots.

Not single use on purpose: picking is guarded by the interview's state (only a proposed
interview takes a pick), so a replayed link shows the booked time instead of changing it.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.interviews import rules
from domain.tokens.signer import Purpose, TokenError, TokenExpired, new_nonce, sign, unsign
from settings import get_settings


class LinkInvalid(DomainError):
    """Forged or tampered link: maps to 400 (not a rule the candidate broke)."""


class LinkExpired(LinkInvalid):
    """A genuine link past its age: the portal answers 410."""


def scheduling_token(interview_id: int) -> str:
    return sign(get_settings().secret_key, Purpose.INTERVIEW_SCHEDULING,
                rules.subject(interview_id), new_nonce())


def interview_from_token(token: str) -> int:
    try:
        claims = unsign(get_settings().secret_key, Purpose.INTERVIEW_SCHEDULING, token)
    except TokenExpired as exc:
        raise LinkExpired("This scheduling link has expired. Reply to the email you "
                          "received and we will send a new one.") from exc
    except TokenError as exc:
        raise LinkInvalid("This scheduling link is not valid. Open it straight from "
                          "the email; a copied link may be incomplete.") from exc
    interview_id = rules.interview_id(claims.subject)
    if not interview_id:
        raise LinkInvalid("This scheduling link is not valid.")
    return interview_id


def scheduling_url(interview_id: int) -> str:
    return f"{get_settings().base_url}/interviews/{scheduling_token(interview_id)}"

"""The signed link a candidate uses to choose one of the offered interview slots.

Not single use on purpose: picking is guarded by the interview's state (only a proposed
interview takes a pick), so a replayed link shows the booked time instead of changing it.
"""

from __future__ import annotations

from domain.tokens.links import LinkExpired, LinkInvalid, record_from, sign_record
from domain.tokens.signer import Purpose
from settings import get_settings

__all__ = ["LinkExpired", "LinkInvalid", "availability_request_from_token",
           "availability_token", "availability_url", "interview_from_token",
           "scheduling_token", "scheduling_url"]


def scheduling_token(interview_id: int) -> str:
    return sign_record(Purpose.INTERVIEW_SCHEDULING, "interview", interview_id)


def interview_from_token(token: str) -> int:
    return record_from(
        Purpose.INTERVIEW_SCHEDULING, "interview", token,
        invalid="This scheduling link is not valid. Open it straight from the email; a "
                "copied link may be incomplete.",
        expired="This scheduling link has expired. Reply to the email you received and we "
                "will send a new one.")


def scheduling_url(interview_id: int) -> str:
    return f"{get_settings().base_url}/interviews/{scheduling_token(interview_id)}"


def availability_token(request_id: int) -> str:
    return sign_record(Purpose.INTERVIEW_AVAILABILITY, "availability", request_id)


def availability_request_from_token(token: str) -> int:
    """Not single use either: only a `requested` request takes an answer."""
    return record_from(
        Purpose.INTERVIEW_AVAILABILITY, "availability", token,
        invalid="This link is not valid. Open it straight from the email; a copied link "
                "may be incomplete.",
        expired="This link has expired. Reply to the email you received and we will ask "
                "again.")


def availability_url(request_id: int) -> str:
    return f"{get_settings().base_url}/interviews/availability/{availability_token(request_id)}"

"""Render contexts for offer emails (registered in domain.mail.contexts). The response
link is minted at render time, so no raw token is ever stored."""

from __future__ import annotations

from domain.offers import links, queries
from domain.people.rules import first_name
from domain.ports import Clock
from settings import get_settings

# An email queued for one status and sent after it changed would mislead the candidate.
_NEEDS_STATUS = {"offer_letter": "sent", "offer_withdrawn": "withdrawn",
                 "offer_expired": "expired"}


async def offer_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    offer = await queries.offer_view(int(stored["offer_id"]))
    if offer["status"] != _NEEDS_STATUS[template]:
        raise LookupError(f"the offer is {offer['status']} now; {template} not sent")
    return {
        "person_name": first_name(offer["full_name"]),
        "job_title": offer["job_title"],
        "offer_title": offer["title"],
        "salary_text": offer["salary_text"],
        "start_date": offer["start_date"].isoformat() if offer["start_date"] else "",
        "expires_on": offer["expires_on"].isoformat() if offer["expires_on"] else "",
        "letter": offer["letter"],
        "response_url": links.response_url(offer["id"]) if template == "offer_letter" else "",
    }


async def outcome_email_context(template: str, stored: dict, *, clock: Clock) -> dict:
    """For the hiring team: the candidate's decision, or the deadline passing."""
    offer = await queries.offer_view(int(stored["offer_id"]))
    if offer["status"] != stored["outcome"]:
        raise LookupError(f"the offer is {offer['status']} now; not {stored['outcome']}")
    return {
        "person_name": "",
        "candidate_name": offer["full_name"] or offer["email"],
        "job_title": offer["job_title"],
        "offer_title": offer["title"],
        "salary_text": offer["salary_text"],
        "outcome": offer["status"],
        "decline_reason": offer["decline_reason"],
        "expires_on": offer["expires_on"].isoformat() if offer["expires_on"] else "",
        "offer_url": f"{get_settings().base_url}/backoffice/applications/"
                     f"{offer['application']}/offer",
    }


EMAIL_CONTEXTS = {**dict.fromkeys(("offer_letter", "offer_withdrawn", "offer_expired"),
                                  offer_email_context),
                  "offer_outcome": outcome_email_context}

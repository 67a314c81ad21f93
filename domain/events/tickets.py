"""Tickets: a signed check-in token per registration, shown as a QR code.

The QR code holds a back-office URL, so a host's phone camera app opens the check-in
page directly; the in-page scanner reads the same URL and takes the token from it.
The token is signed for the check-in purpose only, so a cancel link cannot be replayed
as a ticket and a ticket cannot cancel anything.
"""

from __future__ import annotations

from domain.events import rules
from domain.events.links import LinkInvalid
from domain.tokens.signer import Purpose, TokenError, new_nonce, sign, unsign
from settings import get_settings

TICKET_PATH = "/backoffice/events/tickets/"


def ticket_token(registration_id: int) -> str:
    return sign(get_settings().secret_key, Purpose.CHECKIN, rules.subject(registration_id),
                new_nonce())


def registration_from_ticket(token: str) -> int:
    """The registration a genuine ticket names; LinkInvalid for forged or expired ones."""
    try:
        claims = unsign(get_settings().secret_key, Purpose.CHECKIN, token)
    except TokenError as exc:
        raise LinkInvalid("This ticket is not valid.") from exc
    registration_id = rules.registration_id(claims.subject)
    if not registration_id:
        raise LinkInvalid("This ticket is not valid.")
    return registration_id


def ticket_url(registration_id: int) -> str:
    return f"{get_settings().base_url}{TICKET_PATH}{ticket_token(registration_id)}"


def token_from_scan(text: str) -> str:
    """A scanned QR code holds the ticket URL; accept the bare token too."""
    text = text.strip()
    marker = text.find(TICKET_PATH)
    return text[marker + len(TICKET_PATH):].split("?")[0] if marker >= 0 else text

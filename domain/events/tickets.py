"""Tickets: a signed check-in token per registration, shown as a QR code.

The QR code holds a back-office URL, so a host's phone camera app opens the check-in
page directly; the in-page scanner reads the same URL and takes the token from it.
The token is signed for the check-in purpose only, so a cancel link cannot be replayed
as a ticket and a ticket cannot cancel anything.
"""

from __future__ import annotations

from domain.events import links
from domain.tokens.signer import Purpose
from settings import get_settings

TICKET_PATH = "/backoffice/events/tickets/"


def ticket_token(registration_id: int) -> str:
    return links.sign_registration(Purpose.CHECKIN, registration_id)


def registration_from_ticket(token: str) -> int:
    """The registration a genuine ticket names; LinkInvalid for forged or expired ones."""
    return links.registration_signed_for(Purpose.CHECKIN, token,
                                         refusal="This ticket is not valid.")


def ticket_url(registration_id: int) -> str:
    return f"{get_settings().base_url}{TICKET_PATH}{ticket_token(registration_id)}"


def token_from_scan(text: str) -> str:
    """A scanned QR code holds the ticket URL; accept the bare token too."""
    text = text.strip()
    marker = text.find(TICKET_PATH)
    return text[marker + len(TICKET_PATH):].split("?")[0] if marker >= 0 else text

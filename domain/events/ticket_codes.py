"""Ticket codes: the QR a registered person shows at the door, and who gets to see one.

The QR encodes `tickets.ticket_url(...)`. Pages get inline SVG (sharp at any size, prints
well, no extra request); emails get a PNG, because most mail clients do not render SVG.
Online-only events have no door to check in at, so their people get the join link and
no QR.
"""

from __future__ import annotations

import html
import io

import segno

from domain.errors import NotFound
from domain.events import queries, tickets

# A seat that is (or was) theirs: these people may see the ticket and the join link.
SEAT_HOLDER_STATUSES = ("registered", "attended")
TICKET_CID = "ticket-qr@talentloop"
# Medium error correction (15 %): a creased printout or a cracked screen still scans.
_ERROR = "m"


def _code(data: str) -> segno.QRCode:
    return segno.make(data, error=_ERROR, micro=False)


def qr_svg(data: str, *, label: str = "Ticket QR code") -> str:
    """Inline SVG without a fixed size (CSS sizes it) on a white ground, so it also scans
    from a dark-mode screen; announced to screen readers as one image."""
    svg = _code(data).svg_inline(omitsize=True, svgclass="ticket-qr", dark="#000",
                                 light="#fff")
    attributes = f'role="img" aria-label="{html.escape(label, quote=True)}" '
    return svg.replace("<svg ", f"<svg {attributes}", 1)


def qr_png(data: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _code(data).save(buffer, kind="png", scale=scale, border=4, dark="#000", light="#fff")
    return buffer.getvalue()


def holds_seat(view: dict) -> bool:
    """A registration view whose person may see the ticket and the join link: their seat
    at an event still going ahead."""
    return view["status"] in SEAT_HOLDER_STATUSES and view["event"]["status"] == "published"


def needs_ticket(event: dict) -> bool:
    return event["kind"] != "virtual"


def ticket(view: dict) -> dict | None:
    """What a seat holder is shown (a `queries.registration_view`): the QR for in-person
    events, the join link for online ones; None for anyone without a seat, and
    for everyone once the event is cancelled."""
    if not holds_seat(view):
        return None
    event = view["event"]
    qr = ""
    if needs_ticket(event):
        qr = qr_svg(tickets.ticket_url(view["id"]),
                    label=f"Ticket QR code for {event['title']}")
    return {"join_url": event["join_url"], "qr_svg": qr}


async def own_ticket(event_slug: str, person_id: int) -> tuple[dict, dict]:
    """The signed-in person's registration view and ticket for a published event.
    NotFound for everyone else, so the page does not tell who registered."""
    event = await queries.public_event(event_slug)
    registration = await queries.registration_of(event["id"], person_id)
    view = await queries.registration_view(registration["id"]) if registration else None
    shown = ticket(view) if view else None
    if view is None or shown is None:
        raise NotFound("You have no ticket for this event.")
    return view, shown


def email_ticket(registration_id: int) -> tuple[dict, dict]:
    """Email context and the inline PNG (referenced by `cid:` in the HTML body)."""
    url = tickets.ticket_url(registration_id)
    context = {"ticket_code": tickets.token_from_scan(url), "ticket_cid": TICKET_CID}
    attachment = {"filename": "ticket.png", "content_type": "image/png",
                  "data": qr_png(url), "content_id": TICKET_CID}
    return context, attachment

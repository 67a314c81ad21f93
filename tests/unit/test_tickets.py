"""Ticket tokens (check-in purpose only) and their QR codes."""

import struct
import time
import zlib

import pytest
import segno

from domain.events import links, rules, ticket_codes, tickets
from domain.events.links import LinkInvalid
from domain.tokens.signer import MAX_AGE, Purpose, new_nonce, sign
from settings import get_settings


def test_ticket_token_names_its_registration():
    assert tickets.registration_from_ticket(tickets.ticket_token(42)) == 42


def test_ticket_url_points_at_the_back_office_check_in():
    url = tickets.ticket_url(7)
    assert url.startswith(f"{get_settings().base_url}/backoffice/events/tickets/")
    assert tickets.registration_from_ticket(tickets.token_from_scan(url)) == 7


@pytest.mark.parametrize("wrap", [
    "{url}", "  {url}\n", "{url}?utm_source=scanner", "{token}", " {token} ",
])
def test_token_from_scan_takes_a_url_or_a_bare_token(wrap):
    url = tickets.ticket_url(3)
    token = url.rsplit("/", 1)[-1]
    scanned = wrap.format(url=url, token=token)
    assert tickets.token_from_scan(scanned) == token
    assert tickets.registration_from_ticket(tickets.token_from_scan(scanned)) == 3


def test_a_registration_link_is_not_a_ticket():
    with pytest.raises(LinkInvalid):
        tickets.registration_from_ticket(links.registration_token(5))


def test_a_ticket_is_not_a_registration_link():
    with pytest.raises(LinkInvalid):
        links.registration_from_token(tickets.ticket_token(5))


def test_forged_ticket_is_rejected():
    forged = sign("attacker-secret", Purpose.CHECKIN, rules.subject(1), new_nonce())
    with pytest.raises(LinkInvalid):
        tickets.registration_from_ticket(forged)


def test_tampered_ticket_is_rejected():
    token = tickets.ticket_token(1)
    # Change a character at the start of the signature: the last base64 character carries
    # padding bits, so changing it can decode to the same bytes and prove nothing.
    signature_start = token.rindex(".") + 1
    swapped = "A" if token[signature_start] != "A" else "B"
    flipped = token[:signature_start] + swapped + token[signature_start + 1:]
    with pytest.raises(LinkInvalid):
        tickets.registration_from_ticket(flipped)


def test_ticket_naming_something_else_is_rejected():
    other = sign(get_settings().secret_key, Purpose.CHECKIN, "person:1", new_nonce())
    with pytest.raises(LinkInvalid):
        tickets.registration_from_ticket(other)


def test_expired_ticket_is_rejected(monkeypatch):
    token = tickets.ticket_token(1)
    later = time.time() + MAX_AGE[Purpose.CHECKIN].total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(LinkInvalid):
        tickets.registration_from_ticket(token)


def test_svg_is_an_accessible_inline_image():
    svg = ticket_codes.qr_svg("https://example.test/t/abc", label='Ticket for "Meet" <up>')
    assert svg.startswith('<svg role="img" aria-label="Ticket for &quot;Meet&quot; &lt;up&gt;"')
    assert "<?xml" not in svg
    assert ' width="' not in svg.split(">", 1)[0], "sized by CSS, not fixed"
    assert "viewBox" in svg


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(data[12:29]), "IHDR checksum"
    return struct.unpack(">II", data[16:24])


def test_png_is_a_valid_image_of_the_whole_code():
    url = tickets.ticket_url(9)
    data = ticket_codes.qr_png(url, scale=6)
    width, height = _png_size(data)
    modules = segno.make(url, error="m", micro=False).symbol_size(scale=6, border=4)
    assert (width, height) == modules
    assert data == ticket_codes.qr_png(url, scale=6), "same data, same image"

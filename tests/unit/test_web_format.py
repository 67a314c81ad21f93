"""Display helpers shared by the portal and the back office."""

from datetime import UTC, datetime

from web_common import format_in_zone, markdown


def test_event_times_show_in_the_event_zone():
    moment = datetime(2026, 12, 17, 8, 30, tzinfo=UTC)
    assert format_in_zone(moment, "Europe/Berlin") == "17 Dec 2026 09:30 CET"
    assert format_in_zone(moment, "Nowhere/Else") == "17 Dec 2026 08:30 UTC"
    assert format_in_zone(None, "Europe/Berlin") == ""


def test_markdown_keeps_formatting_and_drops_scripts_and_unsafe_links():
    html = str(markdown("**Talks** and [map](https://example.com)\n\n<script>alert(1)</script>"
                        "\n\n[x](javascript:alert(1))"))
    assert "<strong>Talks</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, not run
    assert "href=\"javascript" not in html

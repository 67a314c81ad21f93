"""The brand layout around campaign messages, rendered once per renderer rather than
once per message (B5: the layout's Jinja render was a seventh of composing a message).

The layout is rendered with a marker in each slot and cut at the markers; a message is
the pieces with its values in between, escaped as autoescape would escape them (the
text layout is not escaped, the HTML body is already clean markup). That holds only
while the layout puts each value in as it is, so `Layout` checks itself against the
full render on probe values when it is built, and a message with an empty value (a
layout may test a value) takes the full render too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from workers.emails import EmailRenderer

TEMPLATE = "marketing_campaign"
SLOTS = ("subject_line", "body_html", "body_text", "unsubscribe_url", "preferences_url")
_RAW_IN_HTML = {"body_html"}  # nh3-cleaned markup, not text
_MARKER = re.compile(r"TLSLOT([a-z_]+)X9")
_PROBE = {"subject_line": "Probe <b>&amp; \"quotes\" 'n' ünïcode",
          "body_html": '<p>Probe <a href="https://example.com/?a=1&amp;b=2">x</a></p>',
          "body_text": "Probe text <b> & ünïcode\nsecond line",
          "unsubscribe_url": "https://example.com/u/probe?x=1&y=<2>",
          "preferences_url": "https://example.com/p/probe?x=\"1\""}


@dataclass(frozen=True)
class _Cut:
    pieces: tuple[str, ...]  # one more than slots
    slots: tuple[str, ...]

    @classmethod
    def of(cls, rendered: str) -> _Cut:
        parts = _MARKER.split(rendered)  # piece, slot, piece, slot, …, piece
        return cls(tuple(parts[0::2]), tuple(parts[1::2]))

    def fill(self, values: Mapping[str, str]) -> str:
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out += (values[slot], piece)
        return "".join(out)


class Layout:
    def __init__(self, renderer: EmailRenderer) -> None:
        self.renderer = renderer
        marks = {name: f"TLSLOT{name}X9" for name in SLOTS}
        _subject, text, html = renderer.render(TEMPLATE, self._context(marks))
        self._text, self._html = _Cut.of(text), _Cut.of(html)
        self.exact = self._filled(_PROBE) == self._full(_PROBE)

    @staticmethod
    def _context(values: Mapping[str, str]) -> dict[str, object]:
        # The HTML body is clean markup (nh3 in domain.campaigns.compose).
        return {**values, "body_html": Markup(values["body_html"])}  # noqa: S704  # nosec B704

    def _full(self, values: Mapping[str, str]) -> tuple[str, str]:
        _subject, text, html = self.renderer.render(TEMPLATE, self._context(values))
        return text, html

    def _filled(self, values: Mapping[str, str]) -> tuple[str, str]:
        html_values = {name: value if name in _RAW_IN_HTML else str(escape(value))
                       for name, value in values.items()}
        return self._text.fill(values), self._html.fill(html_values)

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(text, html) of one message; `values` has every name in SLOTS."""
        if self.exact and all(values[name] for name in SLOTS):
            return self._filled(values)
        return self._full(values)


@lru_cache(maxsize=4)  # a worker has one renderer; the benchmark makes a few
def layout(renderer: EmailRenderer) -> Layout:
    """The renderer's layout, built on first use (templates are read at start-up)."""
    return Layout(renderer)

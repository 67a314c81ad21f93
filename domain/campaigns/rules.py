"""Marketing templates, the pure part: merge fields, the email HTML allow-list, the text
version generated from the HTML, one-line subjects and the save-time checks.

Rendering goes through the shared sandbox (domain.sandbox). The HTML is rendered with
autoescape on, so a person called `<script>` is shown as typed, and is cleaned with nh3
both when it is saved and after every render: only tags and attributes that email
clients need survive, links are http(s) or mailto, images http(s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from html import unescape
from html.parser import HTMLParser

import nh3
from markupsafe import Markup

from domain.consent.rules import COMMUNITY_EMAILS, EVENT_EMAILS, PURPOSE_LABELS
from domain.sandbox import HTML, PLAIN, TemplateProblem, render, source_problem

PURPOSES = {purpose: PURPOSE_LABELS[purpose] for purpose in (COMMUNITY_EMAILS, EVENT_EMAILS)}
MAX_NAME, MAX_DESCRIPTION, MAX_SUBJECT, MAX_BODY = 120, 500, 200, 50_000

# name → what it is (shown beside the editor). Flat names only: `event_title`, not
# `event.title`, so the sandbox context stays a dict of strings.
MERGE_FIELDS: dict[str, str] = {
    "first_name": "The person's first name (may be empty)",
    "full_name": "The person's full name (may be empty)",
    "skills": "The person's top skills, joined with commas (may be empty)",
    "community": "The person's talent community for this purpose, if any",
    "event_title": "The event's title, when the campaign is about an event",
    "requisition": "The job's title, when the campaign is about a job",
    "recruiter_signature": "The sending staff member's name and our company",
    "unsubscribe_url": "The one-click unsubscribe link (required)",
    "preferences_url": "The person's email preferences link",
    "postal_address": "Our company postal address (required)",
}
SAMPLE_CONTEXT: dict[str, str] = {
    "first_name": "Ada", "full_name": "Ada Lovelace", "skills": "Python, PostgreSQL, Go",
    "community": "Engineering", "event_title": "Platform engineering meetup",
    "requisition": "Backend engineer", "recruiter_signature": "Grace Hopper, Acme",
    "unsubscribe_url": "https://example.com/u/sample-unsubscribe",
    "preferences_url": "https://example.com/preferences/sample",
    "postal_address": "1 Sample Street, Sampletown",
}
REQUIRED = {"unsubscribe_url": "the unsubscribe link {{ unsubscribe_url }}",
            "postal_address": "our postal address {{ postal_address }}"}

TAGS = {"p", "a", "strong", "em", "b", "i", "ul", "ol", "li", "h1", "h2", "h3", "br", "hr",
        "img", "table", "thead", "tbody", "tr", "th", "td", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
              "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
              "table": {"width"}}
_SCHEMES = {"href": ("http://", "https://", "mailto:"), "src": ("http://", "https://")}
UrlRewrite = Callable[[str], str | None]
_MERGE_ONLY = re.compile(r"^\{\{\s*[a-z_]+\s*\}\}")


@dataclass(frozen=True)
class _Links:
    """What the URL filter does in one sanitise call."""

    allow_merge_fields: bool
    rewrite: UrlRewrite | None


_PLAIN_LINKS = _Links(allow_merge_fields=False, rewrite=None)
_LINKS: ContextVar[_Links | None] = ContextVar("sanitise_links", default=None)


def _keep_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in _SCHEMES:
        return value
    links = _LINKS.get() or _PLAIN_LINKS
    if links.allow_merge_fields and _MERGE_ONLY.match(value.strip()):
        return value
    if not value.strip().lower().startswith(_SCHEMES[attribute]):
        return None
    if links.rewrite is not None and tag == "a" and attribute == "href":
        return links.rewrite(value) or value
    return value


# Built once: nh3.clean converts the allow-lists into a new sanitizer on every call,
# half of its cost on a campaign message (B5). The per-call part (merge-field links,
# the click-tracking rewrite) reaches the shared filter through a context variable,
# which is per thread and per task, so concurrent calls never see each other's.
_CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_keep_url,
                       url_schemes={"http", "https", "mailto"},
                       link_rel="noopener noreferrer", strip_comments=True)


def sanitise(html: str, *, allow_merge_fields: bool = False,
             rewrite: UrlRewrite | None = None) -> str:
    """The email allow-list. At save time a link may be a merge field (`{{ … }}`).
    `rewrite` may replace a link's URL (click tracking) in the same pass."""
    token = _LINKS.set(_Links(allow_merge_fields, rewrite))
    try:
        return _CLEANER.clean(html)
    finally:
        _LINKS.reset(token)


def link_urls(html: str) -> list[str]:
    """The literal http(s) link targets of saved content, in order, each once (merge-field
    links such as the unsubscribe link are the recipient's own and not tracked)."""
    found: list[str] = []

    def collect(value: str) -> None:
        if value.lower().startswith(("http://", "https://")) and value not in found:
            found.append(value)
        return None

    sanitise(html, allow_merge_fields=True, rewrite=collect)
    return found


def one_line(text: str) -> str:
    """A header value on one line: CR, LF, U+2028 and other line breaks become spaces, so
    a name in a subject can never start another header."""
    return " ".join(text.split())


_BLOCKS = {"p", "div", "h1", "h2", "h3", "table", "tr", "ul", "ol", "blockquote", "hr"}


class _TextVersion:
    """What each tag and text run adds to the text version; fed by either tokenizer."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def start(self, tag: str, attribute: Callable[[str], str | None]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "img" and (alt := attribute("alt")):
            self.parts.append(f"[{alt}]")
        elif tag == "a":
            self.links.append(attribute("href"))

    def end(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" ({href})")

    def data(self, text: str) -> None:
        self.parts.append(_SPACE.sub(" ", text))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


class _Parser(HTMLParser):
    def __init__(self, out: _TextVersion) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.start(tag, dict(attrs).get)

    def handle_endtag(self, tag: str) -> None:
        self.out.end(tag)

    def handle_data(self, data: str) -> None:
        self.out.data(data)


def html_to_text(html: str) -> str:
    """Readable plain text: paragraphs separated by a blank line, list items as `- `,
    links followed by their URL in brackets. Any HTML (a DSN's, say)."""
    out = _TextVersion()
    parser = _Parser(out)
    parser.feed(html)
    parser.close()
    return out.text()


# What `sanitise` returns is regular: lower-case tags from TAGS, attribute values in
# double quotes with `"` escaped, `<` and `>` in text escaped, no comments, scripts or
# CDATA. A regular expression splits it into tags and text runs exactly as HTMLParser
# does, at a fifth of the cost (the text version of every campaign email: B5).
_TOKENS = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:[^>"]|"[^"]*")*)>|([^<]+)')
_ATTRIBUTE = re.compile(r'([^\s=/>]+)(?:\s*=\s*"([^"]*)")?')
_SPACE = re.compile(r"\s+")


def sanitised_html_to_text(html: str) -> str:
    """html_to_text for HTML that came out of `sanitise` (tests compare the two)."""
    out = _TextVersion()
    for closing, tag, attributes, data in _TOKENS.findall(html):
        if data:
            out.data(unescape(data))
        elif closing:
            out.end(tag)
        else:
            out.start(tag, partial(_attribute, attributes))
    return out.text()


def _attribute(attributes: str, name: str) -> str | None:
    for key, value in _ATTRIBUTE.findall(attributes):
        if key == name:
            return unescape(value)
    return None


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: Markup
    text: str


def render_template(subject: str, html_body: str, text_body: str,
                    values: Mapping[str, str], *,
                    rewrite: UrlRewrite | None = None) -> Rendered:
    """Render for one recipient (raises TemplateProblem). An empty text body means the
    text version is generated from the rendered HTML. `rewrite` maps link URLs (click
    tracking); a generated text version shows the same links."""
    line = one_line(render(PLAIN, subject, values, "subject"))
    html = sanitise(render(HTML, html_body, values, "HTML body"), rewrite=rewrite)
    text = (render(PLAIN, text_body, values, "text body") if text_body.strip()
            else sanitised_html_to_text(html))
    # nh3-cleaned just above: only the email allow-list survives.
    return Rendered(subject=line, html=Markup(html), text=text)  # noqa: S704  # nosec B704


def problems(subject: str, html_body: str, text_body: str) -> dict[str, str]:
    """Why these sources cannot be saved, per field; {} when fine. Syntax and unknown
    fields first, then a render with sample values that must show the unsubscribe link
    and the postal address in the HTML (and in a custom text body)."""
    errors: dict[str, str] = {}
    sources = {"subject": (PLAIN, subject), "html_body": (HTML, html_body)}
    if text_body.strip():
        sources["text_body"] = (PLAIN, text_body)
    for field, (env, source) in sources.items():
        message = source_problem(source, MERGE_FIELDS)
        if not message:
            try:
                output = render(env, source, SAMPLE_CONTEXT, "template")
            except TemplateProblem as exc:
                message = str(exc)
            else:
                message = "" if field == "subject" else _missing(output)
        if message:
            errors[field] = message
    return errors


def checked_content(subject: str, html_body: str, text_body: str,
                    errors: dict[str, str]) -> str:
    """The length and render checks of an email's content (a template's or a campaign's),
    adding one message per field to `errors`; returns the HTML as the allow-list keeps it."""
    if not subject or len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Write a subject of at most {MAX_SUBJECT} characters."
    if not html_body or len(html_body) > MAX_BODY:
        errors["html_body"] = f"Write the message, at most {MAX_BODY:,} characters."
    if len(text_body) > MAX_BODY:
        errors["text_body"] = f"Keep the text version under {MAX_BODY:,} characters."
    html_body = sanitise(html_body, allow_merge_fields=True) if html_body else ""
    for field, message in problems(subject, html_body, text_body).items():
        errors.setdefault(field, message)
    return html_body


def _missing(output: str) -> str:
    absent = [what for name, what in REQUIRED.items() if SAMPLE_CONTEXT[name] not in output]
    if not absent:
        return ""
    return ("Every marketing email must include " + " and ".join(absent)
            + " (add them to the footer).")

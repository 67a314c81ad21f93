"""Hiring email templates rendered in a Jinja sandbox (domain.sandbox): subject and
Markdown body with a small, documented set of merge fields.

Staff write these templates, so they never run as trusted code; the sandbox module
explains what it refuses. A template is checked against a sample context when saved.

The HTML part is rendered with autoescape on and the merge values escaped for Markdown
too, so a candidate called `[click](https://…)` or `<b>` is shown as typed; the Markdown
is then turned into HTML without raw HTML and cleaned again (nh3). The text part is the
Markdown source with the values as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from domain.sandbox import HTML as _HTML
from domain.sandbox import PLAIN as _PLAIN
from domain.sandbox import TemplateProblem, source_problem
from domain.sandbox import render as _render_source

# name → what it is (shown next to the editor). Keep this list short and stable: saved
# templates refer to these names.
MERGE_FIELDS: dict[str, str] = {
    "first_name": "The candidate's first name (may be empty)",
    "full_name": "The candidate's full name (may be empty)",
    "job_title": "The job they applied for",
    "stage_label": "The stage, as candidates see it (e.g. “Interviewing”)",
    "company": "Our company name",
    "applications_url": "Link to the candidate's “My applications” page",
    "job_url": "Link to the job posting",
}
URL_FIELDS = ("applications_url", "job_url")
SAMPLE_CONTEXT: dict[str, str] = {
    "first_name": "Ada", "full_name": "Ada Lovelace", "job_title": "Backend engineer",
    "stage_label": "Interviewing", "company": "Acme",
    "applications_url": "https://jobs.example.com/account/applications",
    "job_url": "https://jobs.example.com/jobs/backend-engineer",
}
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4",
                 "blockquote", "code", "pre", "hr"}
# `<`, `>` and `&` are left to autoescape (an escaped `\&` would show `&lt;` as text).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: Markup


def _markdown_safe(values: dict[str, str]) -> dict[str, str]:
    return {key: value if key in URL_FIELDS else _MD_SPECIAL.sub(r"\\\1", value)
            for key, value in values.items()}


def markdown_html(source: str) -> Markup:
    html = _MARKDOWN.render(source)
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}},  # noqa: S704 nh3-cleaned
                            url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))


def render(subject: str, body: str, values: dict[str, str]) -> Rendered:
    """Render a stored template for one recipient. Raises TemplateProblem."""
    line = " ".join(_render_source(_PLAIN, subject, values, "subject").split())
    text = _render_source(_PLAIN, body, values, "message")
    html_source = _render_source(_HTML, body, _markdown_safe(values), "message")
    return Rendered(subject=line, text=text, html=markdown_html(html_source))


def problems(subject: str, body: str) -> dict[str, str]:
    """Why these sources cannot be saved, per field ('subject', 'body'); {} when fine.
    Unknown merge fields are named; the template is then rendered with sample values."""
    errors: dict[str, str] = {}
    for field, source in (("subject", subject), ("body", body)):
        message = _problem(source)
        if message:
            errors[field] = message
    return errors


def _problem(source: str) -> str:
    problem = source_problem(source, MERGE_FIELDS)
    if problem:
        return problem
    try:
        _render_source(_PLAIN, source, SAMPLE_CONTEXT, "text")
        _render_source(_HTML, source, _markdown_safe(SAMPLE_CONTEXT), "text")
    except TemplateProblem as exc:
        return str(exc)
    return ""

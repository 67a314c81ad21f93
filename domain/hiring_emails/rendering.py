"""Hiring email templates rendered in a Jinja sandbox: subject and Markdown body with a
small, documented set of merge fields.

Staff write these templates, so they never run as trusted code: the sandbox refuses
attribute tricks (`{{ ''.__class__ }}`), `*`/`**` cannot build huge strings, unknown
names are errors, and a template is checked against a sample context when it is saved.

The HTML part is rendered with autoescape on and the merge values escaped for Markdown
too, so a candidate called `[click](https://…)` or `<b>` is shown as typed; the Markdown
is then turned into HTML without raw HTML and cleaned again (nh3). The text part is the
Markdown source with the values as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import nh3
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markdown_it import MarkdownIt
from markupsafe import Markup

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
MAX_OUTPUT = 50_000
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4",
                 "blockquote", "code", "pre", "hr"}
# `<`, `>` and `&` are left to autoescape (an escaped `\&` would show `&lt;` as text).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


class _Sandbox(SandboxedEnvironment):
    """The stock sandbox, plus a cap on `*` and `**` so `{{ 'x' * 10**9 }}` is refused
    instead of filling the memory of the web process or the worker."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (abs(right) > 64 if isinstance(right, int | float) else True):
            raise SecurityError("Powers are limited in email templates.")
        if operator == "*" and any(isinstance(v, str | list | tuple) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if not isinstance(count, int) or count > 100:
                raise SecurityError("Repeating text is limited in email templates.")
        return super().call_binop(context, operator, left, right)


def _environment(*, autoescape: bool) -> _Sandbox:
    return _Sandbox(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True,
                    lstrip_blocks=True)


_PLAIN = _environment(autoescape=False)
_HTML = _environment(autoescape=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: Markup


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message names the problem for staff."""


def _markdown_safe(values: dict[str, str]) -> dict[str, str]:
    return {key: value if key in URL_FIELDS else _MD_SPECIAL.sub(r"\\\1", value)
            for key, value in values.items()}


def markdown_html(source: str) -> Markup:
    html = _MARKDOWN.render(source)
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}},  # noqa: S704 nh3-cleaned
                            url_schemes={"http", "https", "mailto"},
                            link_rel="noopener noreferrer nofollow"))


def _render(env: _Sandbox, source: str, values: dict[str, str], what: str) -> str:
    try:
        output = env.from_string(source).render(values)
    except SecurityError as exc:
        raise TemplateProblem(f"The {what} uses something templates may not: {exc}") from exc
    except TemplateError as exc:
        raise TemplateProblem(f"The {what} cannot be rendered: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError, OverflowError) as exc:
        raise TemplateProblem(f"The {what} cannot be rendered: {exc}") from exc
    if len(output) > MAX_OUTPUT:
        raise TemplateProblem(f"The {what} renders to more than {MAX_OUTPUT:,} characters.")
    return output


def render(subject: str, body: str, values: dict[str, str]) -> Rendered:
    """Render a stored template for one recipient. Raises TemplateProblem."""
    line = " ".join(_render(_PLAIN, subject, values, "subject").split())
    text = _render(_PLAIN, body, values, "message")
    html_source = _render(_HTML, body, _markdown_safe(values), "message")
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
    try:
        parsed = _PLAIN.parse(source)
    except TemplateSyntaxError as exc:
        return f"Template syntax error on line {exc.lineno}: {exc.message}"
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(MERGE_FIELDS))
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        return (f"Unknown merge field {names}. Use only: "
                + ", ".join(MERGE_FIELDS) + ".")
    try:
        _render(_PLAIN, source, SAMPLE_CONTEXT, "text")
        _render(_HTML, source, _markdown_safe(SAMPLE_CONTEXT), "text")
    except TemplateProblem as exc:
        return str(exc)
    return ""

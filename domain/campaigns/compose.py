"""What a marketing send says: the content (a campaign's approved copy or a sequence's
email step), loaded and prepared once per batch, and the per-recipient message.

Both loaders give the same `Content`, so campaigns and sequences share one send path.
The result is a `Composed` message; the worker wraps it in the brand layout and sends it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import make_msgid
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SecurityError
from markupsafe import Markup

from domain import sandbox
from domain.campaigns import links, rules
from domain.consent.rules import COMMUNITY_EMAILS
from domain.db import fetch
from domain.people.rules import first_name
from domain.preferences import emails as preference_links
from settings import get_settings


@dataclass(frozen=True)
class Content:
    key: str  # tracked-links content key, and the rate-limit bucket's name
    purpose: str
    scope: str
    subject: str
    html_body: str
    text_body: str  # '' = generated from the HTML
    values: dict[str, str]  # the merge values every recipient shares
    exclude_applicants: bool
    rate_per_minute: int | None = None
    tracked: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Composed:
    to: str
    subject: str
    html: str
    text: str
    message_id: str
    reply_to: str
    unsubscribe_url: str
    preferences_url: str
    values: dict[str, str]


def _json(value: object, default: object) -> Any:
    """JSONB as raw SQL returns it (text) or already decoded."""
    if isinstance(value, str):
        return json.loads(value)
    return default if value is None else value


def new_identity() -> tuple[str, str]:
    """(Message-ID, reply token) for one send, stored when it is claimed."""
    reply_token = secrets.token_urlsafe(18)
    return make_msgid(idstring="tlm", domain=get_settings().reply_domain), reply_token


async def _signature(staff_email: str) -> str:
    rows = await fetch("SELECT full_name FROM staff_users WHERE email = $1", staff_email)
    name = (rows[0]["full_name"] if rows else "") or staff_email
    company = get_settings().company_name or "talentloop"
    return f"{name}, {company}" if name else company


async def _community(purpose: str, scope: str) -> str:
    if purpose != COMMUNITY_EMAILS or not scope:
        return ""
    rows = await fetch("SELECT name FROM talent_communities WHERE slug = $1", scope)
    return rows[0]["name"] if rows else ""


def _postal_address() -> str:
    return ", ".join(line.strip() for line in get_settings().postal_address.splitlines()
                     if line.strip())


async def _shared_values(purpose: str, scope: str, author: str, extra: dict) -> dict:
    return {"event_title": str(extra.get("event_title") or ""),
            "requisition": str(extra.get("requisition") or ""),
            "recruiter_signature": await _signature(author),
            "community": await _community(purpose, scope),
            "postal_address": _postal_address()}


async def campaign_content(campaign_id: int) -> Content | None:
    """The approved copy of a campaign that is sending, or None."""
    rows = await fetch("SELECT * FROM campaigns WHERE id = $1 AND state = 'sending' "
                       "AND approved_revision = revision", campaign_id)
    if not rows:
        return None
    c = rows[0]
    key = f"campaign:{c['id']}:{c['revision']}"
    return Content(
        key=key, purpose=c["purpose"], scope=c["consent_scope"], subject=c["subject"],
        html_body=c["html_body"], text_body=c["text_body"] if c["text_is_custom"] else "",
        values=await _shared_values(c["purpose"], c["consent_scope"], c["created_by"],
                                    _json(c["merge_values"], {})),
        exclude_applicants=bool(c["exclude_applicants"]),
        rate_per_minute=c["rate_per_minute"],
        tracked=await links.register(key, c["html_body"]))


async def sequence_content(enrollment_id: int, step_key: str) -> Content | None:
    """The email step of the enrolment's sequence version, or None when missing."""
    rows = await fetch(
        "SELECT q.id AS sequence, q.purpose, q.consent_scope, q.owner, q.created_by, "
        "q.allow_during_application, v.version, v.steps FROM sequence_enrollments e "
        "JOIN sequences q ON q.id = e.sequence JOIN sequence_versions v "
        "ON v.sequence = e.sequence AND v.version = e.version WHERE e.id = $1",
        enrollment_id)
    if not rows:
        return None
    row = rows[0]
    step = next((s for s in _json(row["steps"], []) if s.get("key") == step_key
                 and s.get("type") == "email"), None)
    if step is None:
        return None
    key = f"sequence:{row['sequence']}:{row['version']}:{step_key}"
    html = str(step.get("html_body") or "")
    return Content(
        key=key, purpose=row["purpose"], scope=row["consent_scope"],
        subject=str(step.get("subject") or ""), html_body=html,
        text_body=str(step.get("text_body") or "") if step.get("text_is_custom") else "",
        values=await _shared_values(row["purpose"], row["consent_scope"],
                                    row["owner"] or row["created_by"], step),
        exclude_applicants=not row["allow_during_application"],
        tracked=await links.register(key, html))


@lru_cache(maxsize=128)
def _compiled(plain: bool, source: str) -> Template:
    """Compile a source once per process (rules.render_template compiles on every call,
    which is most of the cost of a send). Checked like a saved template first."""
    problem = sandbox.source_problem(source, rules.MERGE_FIELDS)
    if problem:
        raise sandbox.TemplateProblem(problem)
    return (sandbox.PLAIN if plain else sandbox.HTML).from_string(source)


def _render(plain: bool, source: str, values: Mapping[str, str], what: str) -> str:
    """sandbox.render over the compiled template: the same output cap and errors."""
    parts, size = [], 0
    try:
        for part in _compiled(plain, source).generate(dict(values)):
            size += len(part)
            if size > sandbox.MAX_OUTPUT:
                raise sandbox.TemplateProblem(f"The {what} renders to more than "
                                              f"{sandbox.MAX_OUTPUT:,} characters.")
            parts.append(part)
    except (SecurityError, TemplateError, ArithmeticError, TypeError, ValueError,
            RecursionError) as exc:
        raise sandbox.TemplateProblem(f"The {what} cannot be rendered: {exc}") from exc
    return "".join(parts)


def render_content(content: Content, values: Mapping[str, str],
                   rewrite: rules.UrlRewrite) -> rules.Rendered:
    """rules.render_template with compiled templates: one-line subject, the HTML through
    the email allow-list (links rewritten in the same pass), text generated unless set."""
    subject = rules.one_line(_render(True, content.subject, values, "subject"))
    html = rules.sanitise(_render(False, content.html_body, values, "HTML body"),
                          rewrite=rewrite)
    text = (_render(True, content.text_body, values, "text body")
            if content.text_body.strip() else rules.sanitised_html_to_text(html))
    # nh3-cleaned just above: only the email allow-list survives.
    return rules.Rendered(subject=subject, html=Markup(html), text=text)  # noqa: S704  # nosec B704


def compose(content: Content, recipient: dict) -> Composed:
    """One recipient's message (raises TemplateProblem). `recipient` is the claimed row:
    id, person, email, full_name, skills, message_id, reply_token."""
    person = recipient["person"]
    unsubscribe = preference_links.unsubscribe_url(person, content.purpose, content.scope)
    preferences = preference_links.preferences_url(person)
    values = {**content.values, "first_name": first_name(recipient["full_name"] or ""),
              "full_name": recipient["full_name"] or "",
              "skills": ", ".join(list(recipient["skills"] or [])[:3]),
              "unsubscribe_url": unsubscribe, "preferences_url": preferences}
    rendered = render_content(content, values, links.rewriter(content.tracked,
                                                              recipient["id"]))
    pixel = (f'<img src="{links.open_url(recipient["id"])}" width="1" height="1" alt="" '
             'style="display:block;border:0;">')
    return Composed(
        to=recipient["email"], subject=rendered.subject, html=str(rendered.html) + pixel,
        text=rendered.text, message_id=recipient["message_id"],
        reply_to=f"replies+{recipient['reply_token']}@{get_settings().reply_domain}",
        unsubscribe_url=unsubscribe, preferences_url=preferences, values=values)

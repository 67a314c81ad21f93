"""Marketing email templates: create, edit (the version goes up), archive and restore,
preview for a chosen person, and a test sent to the signed-in staff member.

Every template is checked when saved (domain.campaigns.rules.problems): known merge
fields only, renders in the sandbox, and shows the unsubscribe link and postal address.
A test email goes to the staff member's own address only, never to the person whose
data it shows, and its footer links are samples that change nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.campaigns import rules
from domain.campaigns.rules import COMMUNITY_EMAILS
from domain.consent import service as consent
from domain.consent.rules import current_states
from domain.db import fetch, transaction
from domain.errors import Invalid, NotFound
from domain.mail import service as mail
from domain.people.rules import first_name
from domain.ports import Clock, TaskQueue
from domain.sandbox import TemplateProblem
from settings import get_settings

TEST_TEMPLATE = "marketing_test"


@dataclass(frozen=True)
class TemplateDraft:
    name: str
    description: str
    purpose: str
    subject: str
    html_body: str
    text_body: str

    @property
    def text_is_custom(self) -> bool:
        return bool(self.text_body)


def parse(raw: dict) -> TemplateDraft:
    """The template form; raises Invalid with one message per field. The HTML is stored
    as cleaned by the email allow-list."""
    name = " ".join(str(raw.get("name") or "").split())
    description = str(raw.get("description") or "").strip()
    purpose = str(raw.get("purpose") or "")
    subject = rules.one_line(str(raw.get("subject") or ""))
    html_body = str(raw.get("html_body") or "").replace("\r\n", "\n").strip()
    text_body = str(raw.get("text_body") or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > rules.MAX_NAME:
        errors["name"] = f"Give the template a name of at most {rules.MAX_NAME} characters."
    if len(description) > rules.MAX_DESCRIPTION:
        errors["description"] = f"Keep the description under {rules.MAX_DESCRIPTION} characters."
    if purpose not in rules.PURPOSES:
        errors["purpose"] = "Choose which consent the recipients must have given."
    html_body = rules.checked_content(subject, html_body, text_body, errors)
    if errors:
        raise Invalid("Please correct the highlighted fields.", errors)
    return TemplateDraft(name=name, description=description, purpose=purpose,
                         subject=subject, html_body=html_body, text_body=text_body)


async def get(template_id: int) -> dict:
    rows = await fetch("SELECT * FROM marketing_templates WHERE id = $1", template_id)
    if not rows:
        raise NotFound("There is no such marketing template.")
    return rows[0]


async def _audit(action: str, template_id: int, by: Staff, at, detail: dict) -> None:
    await audit.record(action=action, at=at, actor=by.email,
                       subject=f"marketing_template:{template_id}", detail=detail)


def _name_taken() -> Invalid:
    message = "Another template already has this name."
    return Invalid(message, {"name": message})


async def create(draft: TemplateDraft, *, by: Staff, clock: Clock) -> int:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "INSERT INTO marketing_templates (name, description, purpose, subject, html_body, "
            "text_body, text_is_custom, version, created_by, created_at, updated_by, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8, $9) "
            "ON CONFLICT (name) DO NOTHING RETURNING id",
            draft.name, draft.description, draft.purpose, draft.subject, draft.html_body,
            draft.text_body, draft.text_is_custom, by.email, now)
        if not rows:
            raise _name_taken()
        template_id = int(rows[0]["id"])
        await _audit("marketing_template.created", template_id, by, now,
                     {"name": draft.name, "version": 1})
    return template_id


async def update(template_id: int, draft: TemplateDraft, *, by: Staff, clock: Clock) -> int:
    """Save an edit; returns the new version (every save is a new version, so a campaign
    can tell the content it was approved with from a later one)."""
    now = clock.now()
    async with transaction():
        if await fetch("SELECT 1 FROM marketing_templates WHERE name = $1 AND id <> $2",
                       draft.name, template_id):
            raise _name_taken()
        rows = await fetch(
            "UPDATE marketing_templates SET name = $2, description = $3, purpose = $4, "
            "subject = $5, html_body = $6, text_body = $7, text_is_custom = $8, "
            "version = version + 1, updated_by = $9, updated_at = $10 WHERE id = $1 "
            "RETURNING version",
            template_id, draft.name, draft.description, draft.purpose, draft.subject,
            draft.html_body, draft.text_body, draft.text_is_custom, by.email, now)
        if not rows:
            raise NotFound("There is no such marketing template.")
        version = int(rows[0]["version"])
        await _audit("marketing_template.updated", template_id, by, now,
                     {"name": draft.name, "version": version})
    return version


async def set_archived(template_id: int, archived: bool, *, by: Staff, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        rows = await fetch(
            "UPDATE marketing_templates SET archived_at = CASE WHEN $2::boolean "
            "THEN $3::timestamptz END, updated_by = $4 WHERE id = $1 RETURNING name",
            template_id, archived, now, by.email)
        if not rows:
            raise NotFound("There is no such marketing template.")
        await _audit("marketing_template.archived" if archived
                     else "marketing_template.restored", template_id, by, now,
                     {"name": rows[0]["name"]})


def signature(staff: Staff) -> str:
    company = get_settings().company_name or "talentloop"
    return f"{staff.full_name or staff.email}, {company}"


def _postal_address() -> str:
    return ", ".join(line.strip() for line in get_settings().postal_address.splitlines()
                     if line.strip())


def sample_values(staff: Staff) -> dict[str, str]:
    """Merge values for a preview or test without a person: the documented samples, with
    our real postal address and the staff member's signature."""
    return {**rules.SAMPLE_CONTEXT, "recruiter_signature": signature(staff),
            "postal_address": _postal_address() or rules.SAMPLE_CONTEXT["postal_address"]}


async def person_values(person_id: int, purpose: str, *, staff: Staff,
                        clock: Clock) -> dict:
    """{values, person, contactable} for previewing a template with one person's data.
    Links are samples: a preview must not mint working unsubscribe links."""
    rows = await fetch(
        "SELECT p.id, p.full_name, p.email, coalesce(pr.skills, '{}') AS skills "
        "FROM people p LEFT JOIN profiles pr ON pr.person = p.id "
        "WHERE p.id = $1 AND p.email NOT LIKE 'erased-%@invalid'", person_id)
    if not rows:
        raise NotFound("There is no such person.")
    person = rows[0]
    scopes = [state["scope"] for state in current_states(await consent.ledger(person_id))
              if state["purpose"] == purpose and state["action"] == "given"]
    now = clock.now()
    contactable = [scope for scope in scopes
                   if await consent.can_email(person_id, purpose, scope, at=now)]
    community = ""
    if purpose == COMMUNITY_EMAILS and contactable:
        names = await fetch("SELECT name FROM talent_communities WHERE slug = ANY($1) "
                            "ORDER BY name LIMIT 1", contactable)
        community = names[0]["name"] if names else ""
    values = {**sample_values(staff), "first_name": first_name(person["full_name"] or ""),
              "full_name": person["full_name"] or "",
              "skills": ", ".join(list(person["skills"])[:3]), "community": community}
    return {"values": values, "person": person, "contactable": bool(contactable)}


def render(template: dict, values: dict[str, str]) -> rules.Rendered:
    """Render a stored template (raises TemplateProblem)."""
    text = template["text_body"] if template["text_is_custom"] else ""
    return rules.render_template(template["subject"], template["html_body"], text, values)


async def send_test(template_id: int, *, person_id: int | None, by: Staff, clock: Clock,
                    queue: TaskQueue | None) -> None:
    """Queue the rendered template to the staff member's own address, subject prefixed
    "[Test]". Rendered when the worker sends it (domain.mail.contexts)."""
    template = await get(template_id)
    if person_id is not None:
        await person_values(person_id, template["purpose"], staff=by, clock=clock)
    now = clock.now()
    async with transaction():
        await mail.queue_email(
            person_id=None, to=by.email, template=TEST_TEMPLATE,
            context={"template_id": template_id, "person_id": person_id, "staff_id": by.id},
            dedupe_key=f"marketing-test:{template_id}:{by.id}:{secrets.token_hex(8)}",
            now=now, queue=queue)
        await _audit("marketing_template.test_sent", template_id, by, now,
                     {"version": template["version"], "person_id": person_id,
                      "to": by.email})


async def test_email_context(name: str, stored: dict, *, clock: Clock) -> dict:
    """Render context of a test email (registered in domain.mail.contexts)."""
    try:
        return await _test_email_context(stored, clock=clock)
    except NotFound as exc:  # deleted since: fail this one email for good (no retries)
        raise LookupError(str(exc)) from exc


async def _test_email_context(stored: dict, *, clock: Clock) -> dict:
    template = await get(int(stored["template_id"]))
    rows = await fetch("SELECT id, email, full_name, roles FROM staff_users WHERE id = $1",
                       int(stored["staff_id"]))
    if not rows:
        raise LookupError("the staff member who asked for the test no longer exists")
    staff = Staff(rows[0]["id"], rows[0]["email"], rows[0]["full_name"],
                  tuple(rows[0]["roles"]))
    person_id = stored.get("person_id")
    values = (sample_values(staff) if person_id is None else
              (await person_values(int(person_id), template["purpose"], staff=staff,
                                   clock=clock))["values"])
    try:
        rendered = render(template, values)
    except TemplateProblem as exc:
        raise LookupError(str(exc)) from exc
    return {"subject_line": rules.one_line(f"[Test] {rendered.subject}"),
            "body_html": rendered.html, "body_text": rendered.text}


EMAIL_CONTEXTS = {TEST_TEMPLATE: test_email_context}

"""Building nurture sequences and consenting people for the sequence tests."""

from __future__ import annotations

from domain.consent import service as consent
from domain.db import fetch, fetchval
from domain.sequences import service
from domain.sequences.service import SequenceDraft
from tests.events_support import person

PURPOSE, SCOPE = "community_emails", "engineering"
HTML = ("<p>Hello {{ first_name }}</p><p><a href=\"https://example.com/jobs\">Jobs</a></p>"
        "<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a> {{ postal_address }}</p>")


def email(key: str, next_key: str, subject: str = "Hello") -> dict:
    return {"key": key, "type": "email", "subject": subject, "html_body": HTML,
            "text_body": "", "text_is_custom": False, "template_id": None, "next": next_key}


def draft(steps: list[dict], *, name: str = "Nurture", entry_rules: list | None = None,
          exit_rules: list | None = None, **flags) -> SequenceDraft:
    return SequenceDraft(
        name=name, description="", purpose=PURPOSE, consent_scope=SCOPE,
        owner="owner@corp.test", allow_overlap=flags.get("allow_overlap", False),
        allow_during_application=flags.get("allow_during_application", False),
        steps=steps, entry_rules=entry_rules or [],
        exit_rules=["applied", "hired", "unsubscribed", "replied"] if exit_rules is None
        else exit_rules)


async def live_sequence(steps: list[dict], clock, **kwargs) -> int:
    sequence_id = await service.create(draft(steps, **kwargs), by="rec@corp.test",
                                       now=clock.now())
    await service.set_state(sequence_id, "activate", by="rec@corp.test", now=clock.now())
    return sequence_id


async def consenting(email_address: str, clock, *, name: str = "Ann Smith") -> int:
    person_id = await person(email_address, name)
    text = await fetchval("SELECT id FROM consent_texts ORDER BY id LIMIT 1")
    await consent.record(person_id=person_id, purpose=PURPOSE, scope=SCOPE, text_id=text,
                         action="given", method="double_opt_in", at=clock.now())
    return person_id


async def enrollment(sequence_id: int, person_id: int) -> dict:
    rows = await fetch("SELECT * FROM sequence_enrollments WHERE sequence = $1 AND person = $2 "
                       "ORDER BY id DESC LIMIT 1", sequence_id, person_id)
    return rows[0] if rows else {}

"""How items read on a person's timeline: the kind is announced once, by the macro."""

import re

from domain.db import fetch


async def _person_with_email(subject: str) -> int:
    [person] = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ('ann@example.com', 'Ann Lee', 'test', now(), now()) RETURNING id")
    await fetch(
        "INSERT INTO outbound_emails (person, to_address, template, state, dedupe_key, subject, "
        "created_at, sent_at) VALUES ($1, 'ann@example.com', 'community_confirm', 'sent', "
        "'k1', $2, now(), now())", person["id"], subject)
    return person["id"]


def _titles(html: str) -> list[str]:
    found = re.findall(r'<h3 class="timeline__title">(.*?)</h3>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", title).split()) for title in found]


async def test_an_email_on_the_timeline_reads_its_kind_once(signed_in):
    person_id = await _person_with_email("Confirm your membership")
    page = await signed_in.get(f"/backoffice/candidates/{person_id}")
    assert page.status_code == 200
    assert _titles(page.text) == ["Email: Confirm your membership"]
    assert "Email: Email:" not in page.text


async def test_an_email_without_subject_is_titled_by_its_template(signed_in):
    person_id = await _person_with_email("")
    page = await signed_in.get(f"/backoffice/candidates/{person_id}")
    assert _titles(page.text) == ["Email: community confirm"]

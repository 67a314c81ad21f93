"""The export path with the real arq worker, real Redis and real SMTP into the sink (P9)."""

import json

from domain.consent import service as consent
from domain.consent.rules import COMMUNITY_EMAILS
from domain.db import fetch
from domain.privacy import service as privacy
from domain.privacy.registry import personal_tables
from tests.integration.test_privacy import apply_for_a_job, populate, read_archive
from workers.settings import WorkerSettings


def test_privacy_tasks_are_registered_with_the_worker():
    names = {function.__name__ for function in WorkerSettings.functions}
    assert {"build_data_export", "expire_data_exports", "purge_retained_records"} <= names
    crons = {job.name for job in WorkerSettings.cron_jobs}
    assert any("expire_data_exports" in name for name in crons)
    assert any("purge_retained_records" in name for name in crons)


async def _export_through_the_worker(person_id, clock, queue, worker_burst) -> dict:
    request_id = await privacy.request_export(person_id=person_id, clock=clock, queue=queue)
    await worker_burst()
    rows = await fetch("SELECT id, storage_key FROM data_exports WHERE request = $1", request_id)
    assert len(rows) == 1
    return rows[0]


async def test_archive_covers_every_registered_column_and_nobody_else(
        clock, queue, community, worker_burst):
    ann = await populate("ann@example.com", "ann", community, clock)
    bob = await populate("bob@example.com", "bob", community, clock)
    for person, marker in ((ann, "ann"), (bob, "bob")):
        await apply_for_a_job(person, marker)
    made = await _export_through_the_worker(ann, clock, queue, worker_burst)
    document, entries = read_archive(made["storage_key"])

    assert document["format"] == "talentloop.data-export/1" and document["person_id"] == ann
    for rules in personal_tables():
        if not rules.personal:
            continue
        rows = document["tables"][rules.name]
        assert rows, f"no {rules.name} rows exported"
        for row in rows:
            missing = set(rules.personal) - set(row)
            assert not missing, f"{rules.name} is missing {missing}"
    # 0 foreign rows: nothing of Bob's anywhere in the archive, names included.
    for name, content in entries.items():
        assert b"bob" not in content.lower() and "bob" not in name.lower(), name


async def test_archive_holds_the_cv_and_the_consent_texts_seen(
        clock, queue, community, worker_burst):
    ann = await populate("ann@example.com", "ann", community, clock)
    made = await _export_through_the_worker(ann, clock, queue, worker_burst)
    document, entries = read_archive(made["storage_key"])

    cv = document["tables"]["cv_files"][0]
    assert cv["display_name"] == "ann-cv.pdf"
    assert entries[cv["file"]] == b"%PDF-1.4 cv-of-ann"
    text = await consent.current_text(COMMUNITY_EMAILS)
    ledger = document["tables"]["consent_records"][0]
    seen = {t["id"]: t for t in document["references"]["consent_texts"]}
    assert seen[ledger["consent_text"]]["body"] == text["body"]
    assert document["references"]["talent_communities"][0]["slug"] == "engineering"
    assert document["tables"]["profiles"][0]["links"] == [{"url": "https://ann.example"}]
    assert "README.txt" in entries
    json.loads(entries["data.json"])  # valid JSON, strictly


async def test_the_owner_is_emailed_a_link_that_needs_signing_in(
        clock, queue, community, mail, worker_burst):
    ann = await populate("ann@example.com", "ann", community, clock)
    made = await _export_through_the_worker(ann, clock, queue, worker_burst)
    messages = mail.find(to="ann@example.com", subject_contains="ready to download")
    assert len(messages) == 1
    link = f"http://testserver/account/data/exports/{made['id']}"
    assert link in messages[0].text_body and link in messages[0].html_body
    assert "7 days" in messages[0].text_body

    # arq delivers at least once: a repeated task builds nothing and sends nothing more.
    request_id = (await fetch("SELECT request FROM data_exports WHERE id = $1",
                              made["id"]))[0]["request"]
    await queue.enqueue("build_data_export", request_id, job_id="again")
    await worker_burst()
    assert len(await fetch("SELECT id FROM data_exports WHERE request = $1", request_id)) == 1
    assert len(mail.find(to="ann@example.com", subject_contains="ready to download")) == 1


async def test_erasure_confirmation_reaches_the_address_before_it_is_forgotten(
        clock, queue, community, mail, worker_burst):
    ann = await populate("ann@example.com", "ann", community, clock)
    await privacy.erase_account(person_id=ann, clock=clock, queue=queue)
    await worker_burst()
    messages = mail.find(to="ann@example.com", subject_contains="deleted")
    assert len(messages) == 1
    assert "fingerprint" in messages[0].text_body
    assert "application" not in messages[0].text_body  # nothing was retained
    sent = await fetch("SELECT state FROM outbound_emails WHERE template = 'account_erased'")
    assert sent == [{"state": "sent"}]

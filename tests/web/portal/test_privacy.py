"""Your data on the portal: export, download by the owner only, delete the account."""

import io
import zipfile
from datetime import timedelta

from domain.db import execute, fetch, fetchval
from domain.ports import SystemClock
from domain.privacy import service as privacy
from tests.integration.test_privacy import populate


async def _export_id(person_id: int) -> int:
    return await fetchval(
        "SELECT e.id FROM data_exports e JOIN data_requests r ON r.id = e.request "
        "WHERE e.person = $1 ORDER BY e.id DESC LIMIT 1", person_id)


async def test_signed_out_visitors_are_sent_to_sign_in(browser):
    for path in ("/account/data", "/account/delete", "/account/data/exports/1"):
        response = await browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/account/sign-in?next=")


async def test_a_candidate_requests_and_downloads_their_data(candidate, community,
                                                             worker_burst):
    await populate("cand@example.com", "cand", community, SystemClock())
    page = await candidate.get("/account/data")
    assert page.status_code == 200 and "Prepare my download" in page.text
    response = await candidate.submit("/account/data/export", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/data?requested=export"
    assert "preparing your data" in (await candidate.get(response.headers["location"])).text

    await worker_burst()
    export_id = await _export_id(candidate.person_id)
    page = await candidate.get("/account/data")
    assert f'href="/account/data/exports/{export_id}"' in page.text
    download = await candidate.get(f"/account/data/exports/{export_id}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
        assert "data.json" in bundle.namelist()
    downloaded = await fetchval("SELECT downloaded_at FROM data_exports WHERE id = $1",
                                export_id)
    assert downloaded is not None


async def test_another_persons_export_is_not_found(candidate, community):
    clock = SystemClock()
    other = await populate("other@example.com", "other", community, clock)
    request_id = await privacy.request_export(person_id=other, clock=clock, queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    export_id = await _export_id(other)
    response = await candidate.get(f"/account/data/exports/{export_id}")
    assert response.status_code == 404
    for walk in range(1, 20):  # an id walk finds nothing either
        if walk != export_id:
            assert (await candidate.get(f"/account/data/exports/{walk}")).status_code == 404
    assert await fetchval("SELECT downloaded_at FROM data_exports WHERE id = $1",
                          export_id) is None


async def test_an_expired_export_is_not_found(candidate, community):
    clock = SystemClock()
    request_id = await privacy.request_export(person_id=candidate.person_id, clock=clock,
                                              queue=None)
    await privacy.build_export(request_id, clock=clock, queue=None)
    export_id = await _export_id(candidate.person_id)
    await execute("UPDATE data_exports SET expires_at = $2 WHERE id = $1", export_id,
                  clock.now() - timedelta(seconds=1))
    assert (await candidate.get(f"/account/data/exports/{export_id}")).status_code == 404
    assert "Expired" in (await candidate.get("/account/data")).text


async def test_deleting_needs_the_box_ticked(candidate):
    page = await candidate.get("/account/delete")
    assert page.status_code == 200 and "What we keep" in page.text
    response = await candidate.submit("/account/delete", {})
    assert response.status_code == 422
    assert "Tick the box to confirm" in response.text
    assert await fetchval("SELECT count(*) FROM people") == 1


async def test_deleting_without_the_csrf_token_is_refused(candidate):
    await candidate.get("/account/delete")
    response = await candidate.submit("/account/delete", {"confirm": "yes"}, csrf=False)
    assert response.status_code == 403
    assert await fetchval("SELECT count(*) FROM people") == 1


async def test_a_candidate_deletes_their_account(candidate, community, mail, worker_burst):
    await populate("cand@example.com", "cand", community, SystemClock())
    await candidate.get("/account/delete")
    response = await candidate.submit("/account/delete", {"confirm": "yes"})
    assert response.status_code == 303 and response.headers["location"] == "/account/deleted"
    assert "has been deleted" in (await candidate.get("/account/deleted")).text
    assert await fetchval("SELECT count(*) FROM people") == 0
    assert (await candidate.get("/account")).status_code == 303  # signed out
    requests = await fetch("SELECT kind, status, person FROM data_requests WHERE kind = 'erasure'")
    assert requests == [{"kind": "erasure", "status": "completed", "person": None}]
    await worker_burst()
    assert len(mail.find(to="cand@example.com", subject_contains="deleted")) == 1

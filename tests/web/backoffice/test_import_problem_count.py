"""An import with more problems than the page keeps (MAX_ERRORS_KEPT) says so: how many
rows had problems (rows, not problems: a row can have several) and that the list stops
at the first 1,000 problems; an import below the limit lists everything and says nothing."""

from __future__ import annotations

import html

from domain.imports import rules
from domain.imports import service as imports
from domain.ports import SystemClock
from tests.events_support import staff_browser
from tests.web.backoffice.test_imports import _form, _upload

BAD_ROWS = 700  # each with a bad email and a bad phone: 1,400 problems


def _csv(bad_rows: int) -> bytes:
    lines = ["Email;Mobile", "good@example.com;"]
    lines += [f"not-an-email-{i};12" for i in range(bad_rows)]
    return ("\n".join(lines) + "\n").encode()


async def _run_import(browser, data: bytes) -> int:
    uploaded = await _upload(browser, data)
    assert uploaded.status_code == 303, uploaded.text
    import_id = int(uploaded.headers["location"].rsplit("/", 1)[1])
    saved = await browser.submit(f"/backoffice/imports/{import_id}/mapping",
                                 _form(await imports.get(import_id)))
    assert saved.status_code == 303, saved.text
    assert (await browser.submit(f"/backoffice/imports/{import_id}/start", {})) \
        .status_code == 303
    assert await imports.run(import_id, clock=SystemClock()) == "done"
    return import_id


async def test_more_problems_than_kept_are_counted_in_rows_and_the_cut_is_stated(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _run_import(rita, _csv(BAD_ROWS))
    found = await imports.get(import_id)
    assert found["created_people"] == 1
    assert found["error_count"] == BAD_ROWS, "rows with problems, not problems"
    assert len(found["errors"]) == rules.MAX_ERRORS_KEPT == 1_000

    page = html.unescape((await rita.get(f"/backoffice/imports/{import_id}")).text)
    assert "data-problems-cut" in page
    text = " ".join(page.split())
    assert "700 rows had problems and were not imported" in text
    assert "Only the first 1,000 problems are kept" in text
    assert "shows 1,000 problems in 500 rows (up to row 502)" in text
    assert "700 rows with problems" in text
    progress = (await rita.get(f"/backoffice/imports/{import_id}/progress")).text
    assert "700 rows with problems" in " ".join(progress.split())


async def test_below_the_limit_every_problem_is_listed_without_a_note(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    import_id = await _run_import(rita, _csv(3))
    found = await imports.get(import_id)
    assert (found["error_count"], len(found["errors"])) == (3, 6)
    page = (await rita.get(f"/backoffice/imports/{import_id}")).text
    assert "data-problems-cut" not in page and "not-an-email" not in page
    assert page.count("<td>Mobile</td>") == 3

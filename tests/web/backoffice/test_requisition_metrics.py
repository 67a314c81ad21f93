"""Time to fill and time in stage on a requisition's Metrics tab, with the definitions;
the same access rule as every requisition page (hiring managers: their requisitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.db import execute, fetchval
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")

OPENED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def step(application_id: int, stage_id: int | None, kind: str, at: datetime) -> None:
    await execute("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, by, "
                  "at, reason) VALUES ($1, NULL, $2, $3, 'r@test.local', $4, '')",
                  application_id, stage_id, kind, at)


async def journey(requisition_id: int, email: str, screen_days: list[float]) -> int:
    """Applied at OPENED + 1 day, then one stay per entry of `screen_days` in Screen,
    Interview... (the last listed stay ends with the next stage)."""
    ids = await stages(requisition_id)
    app_id = (await create_application(requisition_id, await person(email)))["id"]
    applied = OPENED + timedelta(days=1)
    await execute("UPDATE stage_transitions SET at = $2 WHERE application = $1", app_id,
                  applied)
    at = applied + timedelta(days=2)  # two days in Applied
    names = ["Screen", "Interview", "Offer"]
    for name, days in zip(names, screen_days, strict=False):
        await step(app_id, ids[name], "moved", at)
        at += timedelta(days=days)
    return app_id


async def test_metrics_show_time_to_fill_and_stage_medians_with_definitions(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    req = await create_requisition("metrics-role")
    await execute("UPDATE requisitions SET opened_at = $2 WHERE id = $1", req["id"], OPENED)
    ids = await stages(req["id"])
    for index, days in enumerate([1, 3, 5, 7, 100]):
        await journey(req["id"], f"p{index}@example.com", [days, 1])
    hired = await journey(req["id"], "hired@example.com", [2, 3, 4])
    await step(hired, ids["Hired"], "hired", OPENED + timedelta(days=1 + 2 + 2 + 3 + 4))

    page = await recruiter.get(f"/backoffice/requisitions/{req['id']}/metrics")
    assert page.status_code == 200
    assert 'aria-current="page">Metrics</a>' in page.text
    assert '<strong>12.0 days</strong>' in page.text  # opened → first hire
    screen = page.text.split('<th scope="row" data-label="Stage">Screen</th>', 1)[1] \
        .split("</tr>", 1)[0]
    # Screen stays 1, 2, 3, 5, 7, 100: median 4.0, nearest-rank p90 100.0.
    assert "4.0 days" in screen and "100.0 days" in screen
    applied = page.text.split('<th scope="row" data-label="Stage">Applied</th>', 1)[1] \
        .split("</tr>", 1)[0]
    assert applied.count("2.0 days") == 2
    assert "Definition: from the moment the requisition was opened" in page.text
    assert "next step" in page.text
    assert ">Hired</th>" not in page.text  # final stages have no time in stage


async def test_metrics_before_any_hire_and_hiring_manager_access(app):
    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    hm_id = await fetchval("SELECT id FROM staff_users WHERE email = 'hm@test.local'")
    own = await create_requisition("own-role", members={hm_id: "hiring_manager"})
    other = await create_requisition("other-role")
    page = await hm.get(f"/backoffice/requisitions/{own['id']}/metrics")
    assert page.status_code == 200 and "Nobody has been hired yet." in page.text
    assert (await hm.get(f"/backoffice/requisitions/{other['id']}/metrics")).status_code == 404
    reporter = await staff_browser(app, "eeo@test.local", ["eeo_reporter"])
    assert (await reporter.get(f"/backoffice/requisitions/{own['id']}/metrics")).status_code \
        == 403

"""The EEO report: eeo_reporter (and admins) only, four-fifths ratios per stage with small
groups suppressed, and self-identification reachable by nobody who decides: sentinel
values planted in eeo_self_identifications appear on no back-office GET page a recruiter
or a hiring manager can open."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from litestar.handlers import HTTPRouteHandler

from backoffice.controllers import reports
from domain.db import execute, fetch, fetchval
from settings import get_settings
from tests.events_support import person, staff_browser
from tests.jobs_support import create_application, create_requisition, stages

pytestmark = pytest.mark.usefixtures("clean_state")

PAGE = "/backoffice/reports/eeo"
SENTINEL = "Zq-EEO-REPORT-SENTINEL-4409"


async def move(application_id: int, requisition_id: int, *names: str) -> None:
    ids = await stages(requisition_id)
    for name in names:
        await execute("INSERT INTO stage_transitions (application, from_stage, to_stage, kind, "
                      "by, at, reason) VALUES ($1, NULL, $2, 'moved', 'r@test.local', now(), "
                      "'')", application_id, ids[name])


async def applicants(requisition_id: int, gender: str, count: int, screened: int,
                     interviewed: int) -> list[int]:
    made = []
    for index in range(count):
        pid = await person(f"{gender}{index}-{requisition_id}@example.com", "Applicant")
        app_id = (await create_application(requisition_id, pid))["id"]
        await execute("INSERT INTO eeo_self_identifications (application, gender, "
                      "created_at) VALUES ($1, $2, now())", app_id, gender)
        if index < screened:
            await move(app_id, requisition_id, "Screen")
        if index < interviewed:
            await move(app_id, requisition_id, "Interview")
        made.append(app_id)
    return made


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))


@pytest.fixture
async def world(app):
    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    x = await create_requisition("x-role", title="X role",
                                 members={await staff_id("hm@test.local"): "hiring_manager"})
    await applicants(x["id"], "male", 12, screened=10, interviewed=8)
    await applicants(x["id"], "female", 12, screened=5, interviewed=4)
    return {"hm": hm, "x": x,
            "recruiter": await staff_browser(app, "rec@test.local", ["recruiter"]),
            "reporter": await staff_browser(app, "eeo@test.local", ["eeo_reporter"])}


def section(html: str, key: str) -> str:
    return html.split(f'id="dim-{key}"', 1)[1].split("</section>", 1)[0]


def row(html: str, stage: str) -> str:
    return html.split(f'<th scope="row">{stage}</th>', 1)[1].split("</tr>", 1)[0]


async def test_the_reporter_sees_four_fifths_ratios_with_small_groups_suppressed(world):
    page = await world["reporter"].get(f"{PAGE}?requisition={world['x']['id']}")
    assert page.status_code == 200
    assert 'href="/backoffice/reports/eeo"' in page.text  # nav link for the role
    gender = section(page.text, "gender")
    applied, screen, interview = (row(gender, name) for name in
                                  ("Applied", "Screen", "Interview"))
    assert applied.count(">12<") == 0 and "12" in applied  # both groups, no rates at entry
    # Screen: men 10/12, women 5/12: ratio 0.50, flagged.
    assert "rate 83.3%" in screen and "rate 41.7%" in screen
    assert "ratio 0.50, below four-fifths" in screen and "ratio 1.00" in screen
    # Interview: the pool of women (5) is under the minimum of 10.
    assert "fewer than 10" in interview and "rate 80.0%" in interview
    assert "ratio 0.50" not in interview
    # Nobody answered race/ethnicity: all 24 are counted as declined, nothing compared.
    race = section(page.text, "race_ethnicity")
    assert not re.search(r"ratio \d", race) and "24" in row(race, "Applied")
    assert "29 CFR 1607.4(D)" in page.text and "Selection rate" in page.text


async def test_the_minimum_group_size_is_a_setting(world, monkeypatch):
    monkeypatch.setattr(reports, "get_settings",
                        lambda: replace(get_settings(), eeo_min_group=3))
    page = await world["reporter"].get(f"{PAGE}?requisition={world['x']['id']}")
    interview = row(section(page.text, "gender"), "Interview")
    # Men 8 of 10, women 4 of 5: both shown now; non-binary and declined (none) are not.
    assert interview.count("rate 80.0%") == 2 and interview.count("fewer than 3") == 2


async def test_all_requisitions_compare_stages_by_kind(world):
    page = await world["reporter"].get(f"{PAGE}?requisition=junk")
    assert page.status_code == 200
    screen = row(section(page.text, "gender"), "Screen")
    assert "ratio 0.50, below four-fifths" in screen


async def test_only_eeo_reporters_and_admins_open_the_report(app, world):
    assert (await world["recruiter"].get(PAGE)).status_code == 403
    assert (await world["hm"].get(PAGE)).status_code == 403
    marketing = await staff_browser(app, "mkt@test.local", ["marketing"])
    assert (await marketing.get(PAGE)).status_code == 403
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    assert (await admin.get(PAGE)).status_code == 200  # admins hold every permission
    candidates = await world["recruiter"].get("/backoffice/requisitions")
    assert "/backoffice/reports/eeo" not in candidates.text
    reporter_home = await world["reporter"].get(PAGE)
    assert "/backoffice/requisitions/" not in reporter_home.text  # nothing to decide with


def backoffice_get_paths(app) -> list[str]:
    paths = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and "GET" in handler.http_methods \
                    and route.path.startswith("/backoffice"):
                paths.add(route.path)
    return sorted(paths)


def concrete(path: str, ids: dict[str, int]) -> str:
    path = re.sub(r"\{([a-z_]+):int\}", lambda m: str(ids.get(m.group(1), 1)), path)
    return re.sub(r"\{[a-z_]+:(str|path)\}", "x", path)


async def test_self_identification_reaches_no_page_a_recruiter_or_hiring_manager_opens(
        app, world):
    x = world["x"]["id"]
    application = await fetchval("SELECT min(id) FROM applications WHERE requisition = $1", x)
    await execute("UPDATE eeo_self_identifications SET gender = $1, race_ethnicity = $1, "
                  "veteran = $1, disability = $1", SENTINEL)
    ids = {"requisition_id": x, "application_id": application,
           "person_id": await fetchval("SELECT person FROM applications WHERE id = $1",
                                       application)}
    paths = backoffice_get_paths(app)
    assert "/backoffice/applications/{application_id:int}" in paths and PAGE in paths
    for name, browser in (("recruiter", world["recruiter"]), ("hiring manager", world["hm"])):
        opened = 0
        for path in paths:
            url = concrete(path, ids)
            for variant in (url, f"{url}?q={application}"):
                response = await browser.get(variant)
                assert SENTINEL not in response.text, f"{name}: {variant}"
                assert SENTINEL.encode() not in response.content, f"{name}: {variant}"
            opened += response.status_code == 200
        assert opened >= 3, name  # they really saw pages, not only refusals
    # The report itself counts the planted answers, as declined: not on the form.
    report = await world["reporter"].get(f"{PAGE}?requisition={x}")
    assert SENTINEL not in report.text and "24" in row(section(report.text, "gender"),
                                                        "Applied")
    assert await fetch("SELECT 1 FROM eeo_self_identifications LIMIT 1")

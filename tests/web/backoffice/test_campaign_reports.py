"""Campaign and sequence reports in the back office (CAMPAIGNS_MANAGE, read-only): the
figures link to the people behind them, the open caveat and the attribution window are on
the page, drill-down pages follow their keyset, the CSV needs CANDIDATES_EXPORT, and a bad
figure, step or cursor is a plain error page, never a 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from domain.db import fetch
from tests.events_support import staff_browser
from tests.integration.test_campaign_reports import (
    SENT,
    enrol,
    make_campaign,
    make_people,
    make_sequence,
    ran,
    send,
)

pytestmark = pytest.mark.usefixtures("clean_state")


@pytest.fixture
async def world() -> dict:
    cid = await make_campaign("Spring meetup invite")
    people = await make_people(110)
    for index, person in enumerate(people):
        await send(person, campaign=cid, clicked_at=SENT if index % 2 == 0 else None,
                   opened_at=SENT if index % 2 == 0 else None)
    await fetch("UPDATE people SET full_name = '<b>Eve</b>' WHERE id = $1", people[0])
    await fetch("INSERT INTO tracked_links (content_key, url, clicks, unique_clicks) "
                "VALUES ($1, 'https://acme.example/meetup?utm=mail', 40, 30)", f"campaign:{cid}:1")
    await fetch("INSERT INTO engagement_events (person, type, occurred_at, source, payload) "
                "VALUES ($1, 'event_registered', $2, 'test', '{}')",
                people[1], SENT + timedelta(days=1))
    seq = await make_sequence()
    enrolment = await enrol(seq["id"], people[0], "wait")
    await ran(enrolment, "hello", "sent")
    await send(people[0], enrollment=enrolment, step_key="hello", replied_at=SENT)
    return {"campaign": cid, "people": people, "sequence": seq["id"]}


async def test_campaign_report_figures_link_to_their_people(app, world):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    base = f"/backoffice/campaigns/{world['campaign']}/report"
    page = await recruiter.get(base)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Apple Mail Privacy Protection" in text and "within 30 days" in text
    assert f'href="{base}/people?figure=clicked">55' in page.text
    assert f'href="{base}/people?figure=registered">1' in page.text
    assert "https://acme.example/meetup?utm=mail" in text

    first = await recruiter.get(f"{base}/people?figure=clicked")
    assert first.status_code == 200
    assert "&lt;b&gt;Eve&lt;/b&gt;" in first.text and "<b>Eve</b>" not in first.text
    next_url = html.unescape(re.search(r'href="([^"]+)"\s+rel="next"', first.text).group(1))
    second = await recruiter.get(next_url)
    listed = set(re.findall(r"/backoffice/candidates/(\d+)", first.text + second.text))
    assert listed == {str(p) for p in world["people"][::2]}
    assert 'rel="next"' not in second.text

    export = await recruiter.get(f"{base}/people.csv?figure=clicked")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert len(export.text.strip().splitlines()) == 56


async def test_marketing_reads_reports_but_cannot_export(app, world):
    marketing = await staff_browser(app, "mk@test.local", ["marketing"])
    base = f"/backoffice/campaigns/{world['campaign']}/report"
    people = await marketing.get(f"{base}/people?figure=opened")
    assert people.status_code == 200 and "Export as CSV" not in people.text
    assert (await marketing.get(f"{base}/people.csv?figure=opened")).status_code == 403
    for roles in (["hiring_manager"], ["event_host"]):
        other = await staff_browser(app, f"{roles[0]}@test.local", roles)
        for url in (base, f"{base}/people?figure=sent",
                    f"/backoffice/sequences/{world['sequence']}/report"):
            assert (await other.get(url)).status_code == 403, (roles, url)


async def test_bad_input_is_an_error_page_not_a_crash(app, world):
    admin = await staff_browser(app, "admin@test.local", ["admin"])
    base = f"/backoffice/campaigns/{world['campaign']}/report"
    seq = f"/backoffice/sequences/{world['sequence']}/report"
    for url, status in ((f"{base}/people?figure=drop", 422), (f"{base}/people", 200),
                        (f"{base}/people?figure=sent&after=x", 400),
                        (f"{base}/people.csv?figure=nope", 422),
                        ("/backoffice/campaigns/987654/report", 404),
                        (f"{seq}/people?step=nope&figure=sent", 404),
                        ("/backoffice/sequences/987654/report", 404)):
        response = await admin.get(url)
        assert response.status_code == status, (url, response.status_code)
        assert "Traceback" not in response.text


async def test_sequence_report_per_step_with_drill_down(app, world):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    seq = f"/backoffice/sequences/{world['sequence']}/report"
    page = await recruiter.get(seq)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Step hello: email" in text and "Step old: email" in text and "older version" in text
    assert f'href="{seq}/people?step=hello&amp;figure=replied">1' in page.text
    people = await recruiter.get(f"{seq}/people?step=hello&figure=replied")
    assert people.status_code == 200
    assert f"/backoffice/candidates/{world['people'][0]}" in people.text
    export = await recruiter.get(f"{seq}/people.csv?step=hello&figure=replied")
    assert export.status_code == 200 and len(export.text.strip().splitlines()) == 2
    every_step = await recruiter.get(f"{seq}/people")
    assert every_step.status_code == 200 and "every email step" in every_step.text
    assert f"/backoffice/candidates/{world['people'][0]}" in every_step.text

"""The audit log page and its CSV export: admins only, filters, keyset pages newest first,
formula-safe streamed export, append-only (no route changes entries), no tokens shown."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.handlers import HTTPRouteHandler

from domain.audit import service as audit
from domain.db import fetchval
from tests.events_support import staff_browser

pytestmark = pytest.mark.usefixtures("clean_state")

PAGE = "/backoffice/audit"
DAY = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SUBJECT = re.compile(r'data-label="Subject"[^>]*>application:(\d+)<')


@pytest.fixture
async def admin(app):
    return await staff_browser(app, "admin@test.local", ["admin"])


async def seed() -> None:
    await audit.record(action="pipeline.moved", at=DAY, actor="rec@test.local",
                       subject="application:7", detail={"to": "Screen"})
    await audit.record(action="pipeline.rejected", at=DAY + timedelta(days=1),
                       actor="hm@test.local", subject="application:8")
    await audit.record(action="requisition.opened", at=DAY + timedelta(days=2),
                       actor="rec@test.local", subject="requisition:3")
    await audit.record(action="event.message_sent", at=DAY + timedelta(days=3),
                       actor="=HYPERLINK(\"http://evil\")", subject="event:1",
                       detail={"note": "+1 from @home"})


def actions(html: str) -> list[str]:
    return re.findall(r"<code>([a-z_]+\.[a-z_]+)</code>", html)


async def test_admins_filter_by_action_prefix_actor_subject_and_dates(admin):
    await seed()
    page = await admin.get(PAGE)
    assert page.status_code == 200 and 'href="/backoffice/audit"' in page.text
    everything = actions(page.text)
    assert everything[:4] == ["event.message_sent", "requisition.opened", "pipeline.rejected",
                              "pipeline.moved"]
    assert actions((await admin.get(f"{PAGE}?action=pipeline.")).text) == [
        "pipeline.rejected", "pipeline.moved"]
    assert actions((await admin.get(f"{PAGE}?actor=REC@test.local")).text) == [
        "requisition.opened", "pipeline.moved"]
    assert actions((await admin.get(f"{PAGE}?subject=application:8")).text) == [
        "pipeline.rejected"]
    assert actions((await admin.get(f"{PAGE}?since=2026-05-05&until=2026-05-06")).text) == [
        "requisition.opened", "pipeline.rejected"]
    # A literal underscore or percent in the prefix is not a wildcard.
    assert actions((await admin.get(f"{PAGE}?action=pipeline_")).text) == []


async def test_a_bad_date_is_explained(admin):
    page = await admin.get(f"{PAGE}?since=yesterday")
    assert page.status_code == 422 and "Enter a date as YYYY-MM-DD." in page.text


async def test_keyset_pages_go_back_in_time_without_gaps_or_repeats(admin):
    for index in range(60):
        await audit.record(action="pipeline.moved", at=DAY + timedelta(minutes=index),
                           actor="rec@test.local", subject=f"application:{index}")
    first = await admin.get(f"{PAGE}?action=pipeline.")
    subjects = re.findall(SUBJECT, first.text)
    assert subjects[:2] == ["59", "58"] and len(subjects) == 50
    next_url = re.search(r'href="(/backoffice/audit\?[^"]*before=\d+[^"]*)"', first.text)
    assert next_url and "action=pipeline." in next_url.group(1)
    second = await admin.get(next_url.group(1).replace("&amp;", "&"))
    older = re.findall(SUBJECT, second.text)
    assert older == [str(n) for n in range(9, -1, -1)]
    assert 'rel="next"' not in second.text


async def test_the_csv_export_is_filtered_streamed_and_formula_safe(admin):
    await seed()
    response = await admin.get("/backoffice/audit.csv?action=event.")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Id", "When (UTC)", "Actor", "Action", "Subject", "IP", "Detail"]
    assert len(rows) == 2 and rows[1][3] == "event.message_sent"
    assert rows[1][2] == "'=HYPERLINK(\"http://evil\")"
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\0"))
    everything = list(csv.reader(io.StringIO((await admin.get("/backoffice/audit.csv")).text)))
    assert len(everything) == 1 + await fetchval("SELECT count(*) FROM audit_entries")


async def test_tokens_never_show(admin):
    await audit.record(action="staff.permission_denied", at=DAY, actor="rec@test.local",
                       subject="/backoffice/x?token=abc.SECRET", detail={
                           "url": "https://x.example/u/1?token=SECRET2&a=1"})
    page = await admin.get(PAGE)
    export = await admin.get("/backoffice/audit.csv")
    for text in (page.text, export.text):
        assert "SECRET" not in text
        assert not re.search(r"token=(?!\[redacted\])", text)


async def test_only_admins_read_the_log(app):
    for role in ("recruiter", "hiring_manager", "eeo_reporter", "marketing", "event_host"):
        browser = await staff_browser(app, f"{role}@test.local", [role])
        assert (await browser.get(PAGE)).status_code == 403, role
        assert (await browser.get("/backoffice/audit.csv")).status_code == 403, role
        home = await browser.get("/backoffice/")
        assert 'href="/backoffice/audit"' not in home.text


def test_the_log_is_append_only_no_route_changes_an_entry(app):
    audit_routes = {}
    for route in app.routes:
        if "audit" in route.path:
            for handler in getattr(route, "route_handlers", []):
                if isinstance(handler, HTTPRouteHandler):
                    audit_routes.setdefault(route.path, set()).update(handler.http_methods)
    assert set(audit_routes) == {"/backoffice/audit", "/backoffice/audit.csv"}
    for methods in audit_routes.values():
        assert methods <= {"GET", "HEAD", "OPTIONS"}

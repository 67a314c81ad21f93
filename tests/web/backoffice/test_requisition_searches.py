"""Candidate searches run for a requisition are kept with it (criteria, who, when, how
many), shown on its metrics page; general searches and "load more" pages are not."""

from __future__ import annotations

import html
import json

import pytest

from domain.db import fetch
from tests.events_support import person, staff_browser
from tests.jobs_support import create_requisition

pytestmark = pytest.mark.usefixtures("clean_state")


async def test_searches_for_a_requisition_are_recorded(app):
    recruiter = await staff_browser(app, "rita@corp.test", ["recruiter"])
    requisition = await create_requisition()
    for n in range(60):
        await person(f"ada{n}@example.com", f"Ada {n}")
    page = await recruiter.get("/backoffice/candidates")
    assert "Searching for a requisition?" in page.text and "Backend engineer" in page.text

    await recruiter.get("/backoffice/candidates?q=ada")  # general: not recorded
    found = await recruiter.get(f"/backoffice/candidates?q=ada&requisition={requisition['id']}")
    assert found.status_code == 200
    assert f"requisition={requisition['id']}" in html.unescape(found.text)  # kept on "more"
    cursor = html.unescape(found.text).split("after=")[1].split('"')[0]
    await recruiter.get(f"/backoffice/candidates?q=ada&requisition={requisition['id']}"
                        f"&after={cursor}")
    await recruiter.get("/backoffice/candidates?q=ada&requisition=999999")  # not a choice
    rows = await fetch("SELECT * FROM requisition_searches")
    assert len(rows) == 1
    row = rows[0]
    criteria = row["criteria"] if isinstance(row["criteria"], dict) else json.loads(
        row["criteria"])
    assert (row["requisition"], row["searched_by"], row["result_count"]) == \
        (requisition["id"], "rita@corp.test", 50)
    assert criteria == {"text": "ada", "community": "", "more_pages": True}

    metrics = await recruiter.get(f"/backoffice/requisitions/{requisition['id']}/metrics")
    text = html.unescape(metrics.text)
    assert "Candidate searches for this requisition" in text
    assert "text: “ada”" in text and "50+" in text and "rita@corp.test" in text

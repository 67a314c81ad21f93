"""Exporting people's contact data needs CANDIDATES_EXPORT (recruiters, admins): marketing
works pools and acts on them in bulk, but cannot export, is not offered the export, and
the refusal is audited; a recruiter's export is audited as before."""

from __future__ import annotations

import html
import json

import pytest

from domain.accounts.permissions import Permission, permissions_for
from domain.accounts.service import Staff
from domain.bulk import service as bulk
from domain.db import fetch, fetchval
from domain.errors import PermissionDenied
from domain.ports import SystemClock
from tests.events_support import person, staff_browser
from tests.web.backoffice.test_bulk import _filled_pool

pytestmark = pytest.mark.usefixtures("clean_state")


def test_export_is_granted_to_recruiters_and_admins_not_marketing():
    assert Permission.CANDIDATES_EXPORT.value == "crm:candidates:export"
    assert Permission.CANDIDATES_EXPORT in permissions_for(["recruiter"])
    assert Permission.CANDIDATES_EXPORT in permissions_for(["admin"])
    assert Permission.CANDIDATES_EXPORT not in permissions_for(["marketing"])
    assert Permission.POOLS_WORK in permissions_for(["marketing"])


async def test_marketing_works_pools_but_gets_403_on_export(app):
    mia = await staff_browser(app, "mia@corp.test", ["marketing"])
    pool, people = await _filled_pool(mia)  # creates a pool and adds people: allowed
    assert (await mia.get(f"/backoffice/pools/{pool}")).status_code == 200
    everyone = {"pool": str(pool), "in_stage": "", "scope": "all"}
    confirm = await mia.submit("/backoffice/bulk/confirm", everyone)
    assert confirm.status_code == 200
    assert "export_csv" not in confirm.text and "Export them as CSV" not in \
        html.unescape(confirm.text)
    offered = await mia.get(f"/backoffice/bulk/new?pool={pool}&kind=export_csv")
    assert offered.status_code == 200 and "export_csv" not in offered.text

    refused = await mia.submit("/backoffice/bulk/confirm",
                               {**everyone, "confirmed": "yes", "kind": "export_csv"})
    assert refused.status_code == 403
    assert await fetchval("SELECT count(*) FROM bulk_actions") == 0
    denied = await fetch("SELECT detail FROM audit_entries "
                         "WHERE action = 'staff.permission_denied' AND actor = $1",
                         "mia@corp.test")
    assert len(denied) == 1 and "crm:candidates:export" in str(denied[0]["detail"])

    tagged = await mia.submit("/backoffice/bulk/confirm",
                              {**everyone, "confirmed": "yes", "kind": "tag",
                               "tags": "newsletter"})
    assert tagged.status_code == 303  # the other bulk actions stay hers
    assert await fetchval("SELECT count(*) FROM person_tags") == len(people)


async def test_the_domain_refuses_an_export_without_the_permission():
    someone = await person("ann@example.com")
    marketing = Staff(1, "mia@corp.test", "Mia", ("marketing",))
    with pytest.raises(PermissionDenied):
        await bulk.start("export_csv", {"person_ids": [someone]}, {}, staff=marketing,
                         now=SystemClock().now(), queue=None)
    assert await fetchval("SELECT count(*) FROM bulk_actions") == 0


async def test_a_recruiters_export_is_offered_downloadable_and_audited(app):
    rita = await staff_browser(app, "rita@corp.test", ["recruiter"])
    pool, _ = await _filled_pool(rita, n=3)
    everyone = {"pool": str(pool), "in_stage": "", "scope": "all"}
    confirm = await rita.submit("/backoffice/bulk/confirm", everyone)
    assert "Export them as CSV" in html.unescape(confirm.text)
    exported = await rita.submit("/backoffice/bulk/confirm",
                                 {**everyone, "confirmed": "yes", "kind": "export_csv"})
    assert exported.status_code == 303
    page = await rita.get(exported.headers["location"])
    assert "Download the CSV" in page.text
    download = await rita.get(exported.headers["location"] + "/download")
    assert download.status_code == 200 and download.text.count("\n") == 4
    [entry] = await fetch("SELECT actor, detail FROM audit_entries "
                          "WHERE action = 'bulk.requested'")
    detail = json.loads(entry["detail"]) if isinstance(entry["detail"], str) \
        else entry["detail"]
    assert entry["actor"] == "rita@corp.test" and detail["kind"] == "export_csv"

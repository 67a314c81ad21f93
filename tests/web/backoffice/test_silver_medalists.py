"""Silver medalists in the back office: the reject dialogs (single, and the bulk preview
step) show the sentence with a ticked checkbox and mark only what stays ticked; the
requisition overview lists matching silver medalists of other requisitions, best overlap
first, linked for recruiters and names only for hiring managers; a hiring manager of X
gets 404 for Y. Real app and database."""

from __future__ import annotations

import html
import re

import pytest

from domain.db import fetch, fetchval
from domain.pipeline import silver
from domain.ports import SystemClock
from tests.events_support import staff_browser
from tests.jobs_support import create_application, create_requisition
from tests.silver_support import applicant, staff_id

pytestmark = pytest.mark.usefixtures("clean_state")

POOL = "added to the talent pool “Silver medalists — Engineering”"
ANN = (f"Ann Smith will be marked a silver medalist and {POOL}: rejected at Final "
       "interview, "
       "scorecard average 3.5 ≥ 3.0")


async def reason() -> int:
    return int(await fetchval("SELECT id FROM rejection_reasons WHERE by = 'company' "
                              "AND is_active ORDER BY id LIMIT 1"))


async def marked(application_id: int) -> bool:
    return bool(await fetchval("SELECT silver_medalist FROM applications WHERE id = $1",
                               application_id))


async def test_the_single_reject_dialog_shows_the_sentence_and_honours_the_tick(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    author = await staff_id("rec@test.local")
    requisition = await create_requisition()
    ann = await applicant(requisition["id"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[3, 4], author=author)
    bob = await applicant(requisition["id"], "bob@example.com", "Bob Jones",
                          stage="Final interview", ratings=[4, 4], author=author)
    page = await recruiter.get(f"/backoffice/applications/{ann}")
    assert page.status_code == 200 and ANN in html.unescape(page.text)
    assert re.search(rf'name="silver"\s+value="{ann}"\s+checked', page.text)
    done = await recruiter.submit(f"/backoffice/applications/{ann}/reject",
                                  {"reason": str(await reason()), "silver": str(ann)})
    assert done.status_code == 303 and done.headers["location"].endswith("done=silver")
    assert await marked(ann)
    await recruiter.get(f"/backoffice/applications/{bob}")
    # Unticked: the checkbox sends nothing.
    done = await recruiter.submit(f"/backoffice/applications/{bob}/reject",
                                  {"reason": str(await reason())})
    assert done.status_code == 303 and not await marked(bob)


async def test_bulk_reject_previews_the_sentences_and_marks_exactly_the_ticked(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    author = await staff_id("rec@test.local")
    requisition = await create_requisition()
    ann = await applicant(requisition["id"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[3, 4], author=author)
    cy = await applicant(requisition["id"], "cy@example.com", "Cy Young", stage="Offer",
                         ratings=[4], author=author)
    early = await applicant(requisition["id"], "ed@example.com", "Ed Early", stage="Screen",
                            ratings=[4], author=author)
    base = f"/backoffice/requisitions/{requisition['id']}/pipeline"
    await recruiter.get(base)
    chosen = str(await reason())
    selection = [("ids", str(i)) for i in (ann, cy, early)]
    preview = await recruiter.submit(f"{base}/bulk", [("action", "reject"),
                                                      ("reason", chosen), *selection])
    text = html.unescape(preview.text)
    assert preview.status_code == 200 and ANN in text
    assert f"Cy Young will be marked a silver medalist and {POOL}: rejected at Offer" in text
    assert "Ed Early will be marked" not in text
    assert await fetchval("SELECT count(*) FROM applications WHERE status = 'rejected'") == 0
    done = await recruiter.submit(f"{base}/bulk", [
        ("action", "reject"), ("confirmed", "1"), ("reason", chosen), *selection,
        ("silver", str(cy))])
    assert done.status_code == 303 and "marked=1" in done.headers["location"]
    assert await fetchval("SELECT count(*) FROM applications WHERE status = 'rejected'") == 3
    assert [await marked(i) for i in (ann, cy, early)] == [False, True, False]
    notice = await recruiter.get(done.headers["location"])
    assert "3 applications rejected. 1 marked silver medalist." in notice.text


async def silver_medalist_on(requisition_id: int, email: str, name: str,
                             author: int) -> int:
    application = await applicant(requisition_id, email, name, stage="Final interview",
                                  ratings=[4, 4], author=author)
    await silver.reject_one(application, await reason(), ticked=[application],
                            by="rec@test.local", clock=SystemClock())
    return int(await fetchval("SELECT person FROM applications WHERE id = $1", application))


async def test_the_overview_lists_matching_silver_medalists_best_overlap_first(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    author = await staff_id("rec@test.local")
    earlier = await create_requisition("earlier", title="Data engineer",
                                       skills=("python", "kafka"))
    other = await create_requisition("other", title="Go engineer", skills=("go", "python",
                                                                           "postgresql"))
    one_skill = await silver_medalist_on(earlier["id"], "one@example.com", "Olga One",
                                         author)
    two_skills = await silver_medalist_on(other["id"], "two@example.com", "Tom Two", author)
    await fetch("UPDATE requisitions SET job_function = 'design' WHERE id = $1",
                other["id"])
    unrelated = await create_requisition("unrelated", title="Designer", skills=("figma",))
    await fetch("UPDATE requisitions SET job_function = 'design' WHERE id = $1",
                unrelated["id"])
    await silver_medalist_on(unrelated["id"], "fig@example.com", "Fay Figma", author)
    # Weak on the earlier requisition: rejected, not a silver medalist.
    weak = await applicant(earlier["id"], "weak@example.com", "Wes Weak",
                           stage="Final interview", ratings=[1], author=author)
    await silver.reject_one(weak, await reason(), ticked=[weak], by="rec@test.local",
                            clock=SystemClock())
    new = await create_requisition("new", title="Backend engineer",
                                   skills=("python", "postgresql"),
                                   members={await staff_id("hm@test.local"):
                                            "hiring_manager"})
    url = f"/backoffice/requisitions/{new['id']}"
    page = await recruiter.get(url)
    assert page.status_code == 200 and "Silver medalists to consider" in page.text
    section = page.text[page.text.index("Silver medalists to consider"):]
    assert section.index("Tom Two") < section.index("Olga One")
    assert "Fay Figma" not in page.text and "Wes Weak" not in page.text
    assert f'href="/backoffice/candidates/{two_skills}"' in page.text
    assert f'href="/backoffice/candidates/{one_skill}"' in page.text
    seen_by_hm = await hm.get(url)
    assert seen_by_hm.status_code == 200
    assert "Tom Two" in seen_by_hm.text and "Go engineer" in seen_by_hm.text
    assert "/backoffice/candidates/" not in seen_by_hm.text
    assert (await hm.get(f"/backoffice/requisitions/{other['id']}")).status_code == 404


async def test_someone_already_in_the_pipeline_is_not_listed_again(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    author = await staff_id("rec@test.local")
    earlier = await create_requisition("earlier", title="Data engineer")
    person_id = await silver_medalist_on(earlier["id"], "ann@example.com", "Ann Smith",
                                         author)
    new = await create_requisition("new", title="Backend engineer")
    assert "Ann Smith" in (await recruiter.get(f"/backoffice/requisitions/{new['id']}")).text
    await create_application(new["id"], person_id)
    page = await recruiter.get(f"/backoffice/requisitions/{new['id']}")
    assert "Silver medalists to consider" not in page.text


async def test_a_hiring_manager_of_x_gets_404_for_y_everywhere_silver_shows(app):
    hm = await staff_browser(app, "hm@test.local", ["hiring_manager"])
    author = await staff_id("hm@test.local")
    x = await create_requisition("x-role", title="X role",
                                 members={await staff_id("hm@test.local"): "hiring_manager"})
    y = await create_requisition("y-role", title="Y role")
    ay = await applicant(y["id"], "bob@example.com", "Bob", stage="Final interview",
                         ratings=[4], author=author)
    await hm.get(f"/backoffice/requisitions/{x['id']}")
    assert (await hm.get(f"/backoffice/requisitions/{y['id']}")).status_code == 404
    assert (await hm.get(f"/backoffice/applications/{ay}")).status_code == 404
    for url, form in ((f"/backoffice/applications/{ay}/reject",
                       {"reason": str(await reason()), "silver": str(ay)}),
                      (f"/backoffice/requisitions/{y['id']}/pipeline/bulk",
                       [("action", "reject"), ("reason", str(await reason())),
                        ("ids", str(ay)), ("confirmed", "1"), ("silver", str(ay))])):
        assert (await hm.submit(url, form)).status_code == 404, url
    assert not await marked(ay)
    assert await fetchval("SELECT status FROM applications WHERE id = $1", ay) == "active"


async def test_a_refused_reject_keeps_the_untick(app):
    recruiter = await staff_browser(app, "rec@test.local", ["recruiter"])
    requisition = await create_requisition()
    ann = await applicant(requisition["id"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[3, 4],
                          author=await staff_id("rec@test.local"))
    await recruiter.get(f"/backoffice/applications/{ann}")
    refused = await recruiter.submit(f"/backoffice/applications/{ann}/reject",
                                     {"reason": ""})
    assert refused.status_code == 422 and ANN in html.unescape(refused.text)
    assert not re.search(rf'value="{ann}"\s+checked', refused.text)
    assert not await marked(ann)

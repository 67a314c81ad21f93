"""Silver medalists against the real database: a late-stage rejection with a strong
average marks the application when ticked (flag, timeline event, audit entry), never
when unticked, early or weak; bulk marks exactly the ticked; the threshold comes from
the requisition's template by name."""

from __future__ import annotations

import json

import pytest

from domain.accounts import service as accounts
from domain.db import fetch, fetchval
from domain.pipeline import silver
from tests.jobs_support import create_requisition
from tests.silver_support import applicant

pytestmark = pytest.mark.usefixtures("clean_state")


async def world(clock) -> dict:
    staff = await accounts.create_user(email="rec@corp.test", full_name="Rita Recruiter",
                                       roles=["recruiter"], password="a-long-test-password",
                                       clock=clock)
    requisition = await create_requisition()
    reason = int(await fetchval("SELECT id FROM rejection_reasons WHERE by = 'company' "
                                "AND is_active ORDER BY id LIMIT 1"))
    return {"author": staff.id, "requisition": requisition["id"], "reason": reason}


async def marked(application_id: int) -> bool:
    return bool(await fetchval("SELECT silver_medalist FROM applications WHERE id = $1",
                               application_id))


async def test_late_stage_and_strong_average_is_marked_when_ticked(clock):
    w = await world(clock)
    ann = await applicant(w["requisition"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[3, 4, 3, 4], author=w["author"])
    found = await silver.candidates(w["requisition"], [ann])
    assert [c.sentence for c in found] == [
        "Ann Smith will be marked a silver medalist and added to the talent pool "
        "“Silver medalists — Engineering”: rejected at Final interview, "
        "scorecard average 3.5 ≥ 3.0"]
    assert await silver.reject_one(ann, w["reason"], ticked=[ann], by="rec@corp.test",
                                   clock=clock) == [ann]
    assert await marked(ann)
    row = (await fetch("SELECT status FROM applications WHERE id = $1", ann))[0]
    assert row["status"] == "rejected"
    events = await fetch("SELECT source, payload FROM engagement_events "
                         "WHERE type = 'silver_medalist'")
    assert len(events) == 1 and events[0]["source"] == f"requisition:{w['requisition']}"
    payload = json.loads(events[0]["payload"]) if isinstance(events[0]["payload"], str) \
        else events[0]["payload"]
    assert payload["requisition"] == "Backend engineer"
    assert payload["skills"] == ["python", "postgresql"]
    assert payload["stage"] == "Final interview" and payload["average"] == 3.5
    assert await fetchval("SELECT count(*) FROM audit_entries WHERE action = "
                          "'application.silver_medalist' AND subject = $1",
                          f"application:{ann}") == 1


async def test_unticked_is_rejected_but_not_marked(clock):
    w = await world(clock)
    ann = await applicant(w["requisition"], "ann@example.com", "Ann Smith",
                          stage="Offer", ratings=[4, 4], author=w["author"])
    assert await silver.reject_one(ann, w["reason"], ticked=[], by="rec@corp.test",
                                   clock=clock) == []
    assert not await marked(ann)
    assert await fetchval("SELECT status FROM applications WHERE id = $1", ann) == "rejected"
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'silver_medalist'") == 0


@pytest.mark.parametrize(("stage", "ratings"), [
    ("Interview", [4, 4]),            # early stage, however strong
    ("Final interview", [2, 3, 3]),   # late but 2.67 < 3.0
    ("Final interview", []),          # late but no submitted scorecard
])
async def test_early_stage_or_weak_average_is_never_marked_even_if_ticked(clock, stage,
                                                                          ratings):
    w = await world(clock)
    bob = await applicant(w["requisition"], "bob@example.com", "Bob", stage=stage,
                          ratings=ratings, author=w["author"])
    assert await silver.candidates(w["requisition"], [bob]) == []
    assert await silver.reject_one(bob, w["reason"], ticked=[bob], by="rec@corp.test",
                                   clock=clock) == []
    assert not await marked(bob)


async def test_the_threshold_comes_from_the_template_by_name_default_three(clock):
    w = await world(clock)
    ann = await applicant(w["requisition"], "ann@example.com", "Ann Smith",
                          stage="Final interview", ratings=[3, 3, 4], author=w["author"])
    await fetch("UPDATE stage_templates SET silver_threshold = 3.50 WHERE name = 'Standard'")
    assert await silver.candidates(w["requisition"], [ann]) == []
    await fetch("UPDATE requisitions SET template_name = 'Gone' WHERE id = $1",
                w["requisition"])
    assert [c.threshold for c in await silver.candidates(w["requisition"], [ann])] == \
        [silver.DEFAULT_THRESHOLD]


async def test_bulk_marks_exactly_the_ticked(clock):
    w = await world(clock)
    strong = [await applicant(w["requisition"], f"s{i}@example.com", f"Strong {i}",
                              stage="Final interview", ratings=[4, 3], author=w["author"])
              for i in range(3)]
    weak = await applicant(w["requisition"], "weak@example.com", "Weak", stage="Offer",
                           ratings=[1, 2], author=w["author"])
    early = await applicant(w["requisition"], "early@example.com", "Early", stage="Screen",
                            ratings=[4], author=w["author"])
    selection = [*strong, weak, early]
    assert [c.application_id for c in await silver.candidates(w["requisition"],
                                                               selection)] == strong
    result, done = await silver.reject_many(
        w["requisition"], selection, w["reason"], by="rec@corp.test", clock=clock,
        ticked=[strong[0], strong[2], weak, early])
    assert sorted(result.done) == sorted(selection)
    assert done == [strong[0], strong[2]]
    flags = {row["id"]: row["silver_medalist"] for row in await fetch(
        "SELECT id, silver_medalist FROM applications WHERE id = ANY($1::int[])", selection)}
    assert flags == {strong[0]: True, strong[1]: False, strong[2]: True, weak: False,
                     early: False}
    assert await fetchval("SELECT count(*) FROM engagement_events "
                          "WHERE type = 'silver_medalist'") == 2

"""Scorecards: each member of the hiring team writes their own for an application at a
stage (draft → submitted), and sees colleagues' submitted ones only after submitting.

The hiding rule lives here, in the one read model every page uses, so no page can show a
colleague's scores to someone who has not committed to their own.
"""

from __future__ import annotations

from domain.accounts.service import Staff
from domain.audit import service as audit
from domain.db import fetch, fetchval, transaction
from domain.errors import Conflict, Invalid, NotFound
from domain.interviews import rules
from domain.interviews.rules import ScorecardDraft
from domain.ports import Clock


async def stage_of(application_id: int) -> dict:
    rows = await fetch("SELECT a.id AS application, a.status, s.id, s.name, "
                       "s.scorecard_attributes FROM applications a "
                       "JOIN requisition_stages s ON s.id = a.stage WHERE a.id = $1",
                       application_id)
    if not rows:
        raise NotFound("There is no such application.")
    row = rows[0]
    row["scorecard_attributes"] = list(row["scorecard_attributes"] or [])
    return row


async def save(application_id: int, draft: ScorecardDraft, *, by: Staff,
               clock: Clock) -> str:
    """Write `by`'s scorecard at the application's current stage; returns its status.
    A submitted scorecard is final (Conflict), so what others saw never changes under
    them."""
    now = clock.now()
    async with transaction():
        stage = await stage_of(application_id)
        if stage["status"] != "active":
            raise Invalid(f"This application is {stage['status']}; scorecards are closed.")
        rows = await fetch(
            "INSERT INTO scorecards (application, stage, author, status, recommendation, "
            "notes, created_at) VALUES ($1, $2, $3, 'draft', '', '', $4) "
            "ON CONFLICT (application, stage, author) DO UPDATE SET status = "
            "scorecards.status RETURNING id, status",
            application_id, stage["id"], by.id, now)
        card = rows[0]
        if card["status"] == "submitted":
            raise Conflict("You have already submitted your scorecard for this stage.")
        status = "submitted" if draft.submit else "draft"
        await fetch("UPDATE scorecards SET status = $2, recommendation = $3, notes = $4, "
                    "submitted_at = $5 WHERE id = $1", card["id"], status,
                    draft.recommendation, draft.notes, now if draft.submit else None)
        await fetch("DELETE FROM scorecard_ratings WHERE scorecard = $1", card["id"])
        await fetch("INSERT INTO scorecard_ratings (scorecard, attribute, rating, note) "
                    "SELECT $1, a, r, n FROM unnest($2::text[], $3::int[], $4::text[]) "
                    "AS u(a, r, n)", card["id"], list(draft.ratings),
                    [rating for rating, _ in draft.ratings.values()],
                    [note for _, note in draft.ratings.values()])
        if draft.submit:
            await audit.record(action="scorecard.submitted", at=now, actor=by.email,
                               subject=f"application:{application_id}",
                               detail={"scorecard": card["id"], "stage": stage["id"],
                                       "recommendation": draft.recommendation})
    return status


async def _cards(application_id: int) -> list[dict]:
    cards = await fetch(
        "SELECT c.*, s.name AS stage_name, s.position, u.email AS author_email, "
        "u.full_name AS author_name FROM scorecards c "
        "JOIN requisition_stages s ON s.id = c.stage JOIN staff_users u ON u.id = c.author "
        "WHERE c.application = $1 ORDER BY s.position, c.submitted_at NULLS LAST, c.id",
        application_id)
    ratings = await fetch(
        "SELECT r.scorecard, r.attribute, r.rating, r.note FROM scorecard_ratings r "
        "JOIN scorecards c ON c.id = r.scorecard WHERE c.application = $1 ORDER BY r.id",
        application_id)
    for card in cards:
        card["ratings"] = {r["attribute"]: r for r in ratings if r["scorecard"] == card["id"]}
    return cards


def _stage_block(stage_id: int, name: str, attributes: list[str], cards: list[dict],
                 viewer: Staff) -> dict:
    mine = next((c for c in cards if c["author"] == viewer.id), None)
    others = [c for c in cards if c["author"] != viewer.id and c["status"] == "submitted"]
    visible = rules.others_visible(mine["status"] if mine else None)
    shown = ([mine] if mine and mine["status"] == "submitted" else []) + others
    names = attributes or sorted({a for c in shown for a in c["ratings"]})
    return {
        "stage_id": stage_id, "stage_name": name, "attributes": names, "mine": mine,
        "others_submitted": len(others), "visible": visible,
        "submitted": shown if visible else [],
        "averages": {a: rules.average([c["ratings"][a]["rating"] for c in shown
                                       if a in c["ratings"]]) for a in names}
        if visible else {},
        "overall": rules.average([r["rating"] for c in shown for r in c["ratings"].values()])
        if visible else None,
    }


async def view(application_id: int, viewer: Staff) -> dict:
    """The current stage (with the viewer's own card, for the form) and every earlier
    stage that has scorecards; each hides colleagues' cards until the viewer submitted
    theirs at that stage (then shows every submitted one with the averages)."""
    current = await stage_of(application_id)
    cards = await _cards(application_id)
    stages: dict[int, tuple[str, int]] = {c["stage"]: (c["stage_name"], c["position"])
                                          for c in cards}
    blocks = [_stage_block(current["id"], current["name"], current["scorecard_attributes"],
                           [c for c in cards if c["stage"] == current["id"]], viewer)]
    for stage_id, (name, _) in sorted(stages.items(), key=lambda item: item[1][1]):
        if stage_id != current["id"]:
            blocks.append(_stage_block(stage_id, name, [],
                                       [c for c in cards if c["stage"] == stage_id], viewer))
    return {"current": blocks[0], "earlier": blocks[1:],
            "open": current["status"] == "active"}


async def average(application_id: int) -> float | None:
    """Mean rating over every submitted scorecard of the application (all stages): the
    silver-medalist rule compares it with the template's threshold."""
    value = await fetchval(
        "SELECT avg(r.rating) FROM scorecard_ratings r JOIN scorecards c "
        "ON c.id = r.scorecard WHERE c.application = $1 AND c.status = 'submitted'",
        application_id)
    return round(float(value), 2) if value is not None else None

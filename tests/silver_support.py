"""Silver-medalist test data: applications at a stage with submitted scorecards, written
straight to the tables (scorecards have their own tests)."""

from __future__ import annotations

from domain.db import fetch, fetchval
from tests.events_support import person
from tests.jobs_support import create_application


async def scored(application_id: int, ratings: list[int], *, author: int,
                 status: str = "submitted") -> None:
    """One scorecard by `author` at the application's current stage with these ratings."""
    card = await fetchval(
        "INSERT INTO scorecards (application, stage, author, status, recommendation, notes, "
        "created_at, submitted_at) SELECT id, stage, $2, $3, 'yes', '', now(), now() "
        "FROM applications WHERE id = $1 RETURNING id", application_id, author, status)
    for number, rating in enumerate(ratings):
        await fetch("INSERT INTO scorecard_ratings (scorecard, attribute, rating, note) "
                    "VALUES ($1, $2, $3, '')", card, f"Attribute {number}", rating)


async def applicant(requisition_id: int, email: str, name: str, *, stage: str,
                    ratings: list[int], author: int) -> int:
    """An application at `stage` with one submitted scorecard of `ratings`."""
    application = await create_application(requisition_id, await person(email, name),
                                           stage=stage)
    if ratings:
        await scored(application["id"], ratings, author=author)
    return int(application["id"])


async def staff_id(email: str) -> int:
    return int(await fetchval("SELECT id FROM staff_users WHERE email = $1", email))

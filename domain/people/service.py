from __future__ import annotations

from datetime import datetime

from domain.db import fetch
from domain.integrations import webhooks


async def find_or_create(*, email: str, full_name: str, source: str, now: datetime) -> dict:
    """Return the person for a normalised email, creating them once under concurrency.

    A name is filled in only when we had none: a form must not overwrite a known name.
    An address of a record merged into another (dedupe.merge) returns the surviving
    record, so what is attached to it lands where the person's data lives now; `email`
    stays the address given, which is where the person expects to hear from us.
    """
    rows = await fetch(
        """
        INSERT INTO people (email, full_name, source, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $4)
        ON CONFLICT (email) DO UPDATE SET
            full_name = CASE WHEN people.full_name = '' THEN EXCLUDED.full_name
                             ELSE people.full_name END,
            updated_at = CASE WHEN people.full_name = '' THEN EXCLUDED.updated_at
                              ELSE people.updated_at END
        RETURNING id, email, full_name, merged_into, (xmax = 0) AS created
        """,
        email,
        full_name,
        source,
        now,
    )
    row = dict(rows[0])
    if row["created"]:
        await webhooks.emit("person.created", {"person_id": row["id"], "source": source},
                            person=row["id"], now=now)
    if row.pop("merged_into") is None:
        return row
    live = await fetch("SELECT id, full_name FROM people WHERE id = $1",
                       await live_id(row["id"]))
    return {**row, "id": live[0]["id"], "full_name": live[0]["full_name"], "created": False}


async def live_id(person_id: int) -> int:
    """The record a person's data lives in now: a merged record points at the one it was
    merged into (dedupe.merge), possibly through a later merge of that one too."""
    rows = await fetch(
        "WITH RECURSIVE chain(id, merged_into, depth) AS ("
        " SELECT id, merged_into, 0 FROM people WHERE id = $1"
        " UNION ALL SELECT p.id, p.merged_into, c.depth + 1 FROM people p"
        " JOIN chain c ON p.id = c.merged_into WHERE c.depth < 10) "
        "SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1", person_id)
    return int(rows[0]["id"]) if rows else person_id


async def add_hints(person_id: int, *, phone: str, linkedin: str, now: datetime) -> None:
    """Record a normalised phone / LinkedIn URL only where the person has none: a form
    anyone can submit must not overwrite what we know."""
    if not phone and not linkedin:
        return
    await fetch(
        "UPDATE people SET phone = CASE WHEN phone = '' THEN $2 ELSE phone END, "
        "linkedin = CASE WHEN linkedin = '' THEN $3 ELSE linkedin END, updated_at = $4 "
        "WHERE id = $1 AND ((phone = '' AND $2 <> '') OR (linkedin = '' AND $3 <> ''))",
        person_id, phone, linkedin, now)


async def set_phone(person_id: int, phone: str, *, now: datetime) -> None:
    """Overwrite the phone hint (an authorised integration's correction, unlike add_hints)."""
    await fetch("UPDATE people SET phone = $2, updated_at = $3 WHERE id = $1 AND phone <> $2",
                person_id, phone, now)

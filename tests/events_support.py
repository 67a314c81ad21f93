"""Creating events for tests (the host back office that creates them comes later)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.db import fetch

START = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)


async def create_event(slug: str = "meetup", *, capacity: int | None = 2,
                       status: str = "published", deadline: datetime | None = None,
                       starts_at: datetime = START, kind: str = "in_person",
                       offer_hours: int = 48) -> dict:
    rows = await fetch(
        "INSERT INTO events (slug, title, description, kind, starts_at, ends_at, time_zone, "
        "venue, join_url, capacity, taken, registration_deadline, status, offer_hours, "
        "created_at) VALUES ($1, $2, 'Talks & pizza.', $3, $4, $5, 'Europe/Paris', "
        "'Acme HQ, Paris', 'https://meet.example/secret-room', $6, 0, $7, $8, $9, now()) "
        "RETURNING *",
        slug, f"Backend meetup {slug}", kind, starts_at, starts_at + timedelta(hours=2),
        capacity, deadline, status, offer_hours)
    return rows[0]


async def person(email: str, name: str = "Ann Smith") -> int:
    rows = await fetch(
        "INSERT INTO people (email, full_name, source, created_at, updated_at) "
        "VALUES ($1, $2, 'test', now(), now()) RETURNING id", email, name)
    return int(rows[0]["id"])


async def statuses(event_id: int) -> list[dict]:
    return await fetch(
        "SELECT person, status, position FROM event_registrations WHERE event = $1 "
        "ORDER BY position", event_id)

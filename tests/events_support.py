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


async def staff_browser(app, email: str, roles: list[str]):
    """A signed-in back-office Browser for a new staff member with these roles."""
    import httpx

    from domain.accounts import service as accounts
    from domain.ports import SystemClock
    from tests.fixtures import Browser

    await accounts.create_user(email=email, full_name=email.split("@")[0].title(),
                               roles=roles, password="a-long-test-password",
                               clock=SystemClock())
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    browser = Browser(client)
    await browser.get("/backoffice/login")
    response = await browser.submit("/backoffice/login", {
        "email": email, "password": "a-long-test-password"})
    assert response.status_code == 303, response.text
    return browser


def event_form(**overrides) -> dict:
    """A valid back-office event form (local times in Europe/Paris)."""
    form = {"title": "Platform engineering evening", "description": "**Talks** and pizza.",
            "kind": "in_person", "time_zone": "Europe/Paris",
            "starts_at": "2027-01-20T18:30", "ends_at": "2027-01-20T21:00",
            "registration_deadline": "", "venue": "Acme HQ, Paris", "join_url": "",
            "capacity": "2", "offer_hours": "48", "question_rows": "1",
            "questions-0-key": "", "questions-0-label": "Your current role",
            "questions-0-kind": "choice", "questions-0-choices": "Backend, Frontend, Data",
            "questions-0-required": "yes"}
    form.update(overrides)
    return form

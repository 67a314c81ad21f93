"""Read models for the candidate list and the person page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from domain.campaigns import inbound
from domain.consent import service as consent
from domain.consent.rules import PURPOSE_LABELS, current_states
from domain.db import fetch
from domain.dedupe import queries as dedupe_queries
from domain.engagement.rules import label
from domain.errors import NotFound
from domain.keyset import decode_cursor, encode_cursor, split_page
from domain.profiles import queries as profiles

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_cursor: str | None


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_LIST_SELECT = """
SELECT p.id, p.full_name, p.email, p.created_at,
       COALESCE((SELECT array_agg(c.name ORDER BY c.name) FROM community_memberships m
                 JOIN talent_communities c ON c.id = m.community
                 WHERE m.person = p.id AND m.status = 'confirmed'), '{}') AS communities,
       (SELECT max(e.occurred_at) FROM engagement_events e WHERE e.person = p.id)
           AS last_engaged_at
FROM people p
"""


def _filters(q: str, community: str, cursor: str | None) -> tuple[list[str], list]:
    """WHERE fragments are fixed strings; every value travels as a $n parameter."""
    # People erased but kept for a retention duty (anonymised) are not candidates any more.
    # A record merged into another (dedupe.merge) is only kept for an undo.
    where: list[str] = ["p.email NOT LIKE 'erased-%@invalid'", "p.merged_into IS NULL"]
    args: list = []
    if q.strip():
        args.append(_like_pattern(q.strip()))
        where.append(f"(lower(p.full_name) || ' ' || p.email) LIKE ${len(args)}")
    if community:
        args.append(community)
        where.append(
            "EXISTS (SELECT 1 FROM community_memberships m JOIN talent_communities c "  # noqa: S608  # nosec B608 # a $n placeholder
            "ON c.id = m.community WHERE m.person = p.id AND m.status = 'confirmed' "
            f"AND c.slug = ${len(args)})"
        )
    if cursor:
        args += list(decode_cursor(cursor))
        where.append(f"(p.created_at, p.id) < (${len(args) - 1}, ${len(args)})")
    return where, args


async def search_people(
    *, q: str = "", community: str = "", cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """Newest first, keyset-paginated so page 1,000 costs what page 1 costs."""
    where, args = _filters(q, community, cursor)
    args.append(limit + 1)
    sql = (
        _LIST_SELECT
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY p.created_at DESC, p.id DESC LIMIT ${len(args)}"
    )
    rows = await fetch(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows and more else None
    return Page(rows, encode_cursor(last["created_at"], last["id"]) if last else None)


async def community_choices() -> list[tuple[str, str]]:
    rows = await fetch("SELECT slug, name FROM talent_communities ORDER BY name")
    return [(row["slug"], row["name"]) for row in rows]


async def person_detail(person_id: int) -> dict:
    rows = await fetch(
        "SELECT id, full_name, email, source, phone, linkedin, merged_into, created_at "
        "FROM people WHERE id = $1", person_id
    )
    if not rows:
        raise NotFound("There is no person with this id.")
    ledger = await consent.ledger(person_id)
    return {
        "person": rows[0],
        "memberships": await _memberships(person_id),
        "consents": [_consent_view(entry) for entry in current_states(ledger)],
        "timeline": await timeline(person_id, ledger),
        "profile": await profiles.profile_summary(person_id),
        "cv": await profiles.current_cv(person_id),
    }


async def _memberships(person_id: int) -> list[dict]:
    return await fetch(
        "SELECT c.name AS community_name, c.slug, m.status, m.interests, m.requested_at, "
        "m.confirmed_at, m.left_at FROM community_memberships m "
        "JOIN talent_communities c ON c.id = m.community WHERE m.person = $1 ORDER BY c.name",
        person_id,
    )


def _consent_view(entry: dict) -> dict:
    return {
        "purpose_label": PURPOSE_LABELS.get(entry["purpose"], entry["purpose"]),
        "scope_label": entry["scope"],
        "state": entry["action"],
        "occurred_at": entry["occurred_at"],
        "text_version": entry["text_version"],
        "method": entry["method"].replace("_", " "),
    }


CONSENT_TITLES = {
    "requested": "Consent requested",
    "given": "Consent given",
    "withdrawn": "Consent withdrawn",
}


async def timeline(person_id: int, ledger: list[dict], limit: int = 200) -> list[dict]:
    """Every touch, newest first: consent ledger, engagement events and emails."""
    items = [
        {
            "kind": "consent",
            "occurred_at": entry["occurred_at"],
            "title": f"{CONSENT_TITLES.get(entry['action'], entry['action'])}: "
            f"{PURPOSE_LABELS.get(entry['purpose'], entry['purpose'])} ({entry['scope']})",
            "detail": _consent_detail(entry),
            "status": entry["action"],
        }
        for entry in ledger[:limit]
    ]
    items += await _engagement_items(person_id, limit)
    items += await _email_items(person_id, limit)
    items += await inbound.timeline_items(person_id, limit)
    items += await dedupe_queries.timeline_items(person_id)
    items.sort(key=lambda item: item["occurred_at"], reverse=True)
    return items[:limit]


def _consent_detail(entry: dict) -> str:
    # The IP and user agent are evidence for the ledger, not for recruiters (ASVS 8.2.3).
    parts = [
        f"text v{entry['text_version']}" if entry["text_version"] else "",
        f"via {entry['method'].replace('_', ' ')}",
    ]
    return ", ".join(part for part in parts if part)


async def _engagement_items(person_id: int, limit: int) -> list[dict]:
    # email_sent events are shown from outbound_emails, which also knows failures;
    # replies from inbound_messages, which has their text.
    rows = await fetch(
        "SELECT type, occurred_at, source, payload FROM engagement_events "
        "WHERE person = $1 AND type <> 'email_sent' "
        "AND NOT (type = 'replied' AND source = 'email') ORDER BY occurred_at DESC LIMIT $2",
        person_id, limit,
    )
    kinds = {"community_joined", "community_left", "community_join_requested"}
    return [
        {
            "kind": "membership" if row["type"] in kinds else "engagement",
            "occurred_at": row["occurred_at"],
            "title": label(row["type"]),
            "detail": _payload_detail(row),
            "status": None,
        }
        for row in rows
    ]


def _readable(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item).replace("_", " ") for item in value)
    return str(value)


def _payload_detail(row: dict) -> str | None:
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    detail = ", ".join(f"{key}: {_readable(value)}" for key, value in (payload or {}).items())
    return detail or (row["source"] or None)


async def _email_items(person_id: int, limit: int) -> list[dict]:
    rows = await fetch(
        "SELECT template, subject, state, created_at, sent_at FROM outbound_emails "
        "WHERE person = $1 ORDER BY created_at DESC LIMIT $2",
        person_id, limit,
    )
    return [
        {
            "kind": "email",
            "occurred_at": row["sent_at"] or row["created_at"],
            # The timeline macro announces the kind ("Email:"); the title is the subject.
            "title": row["subject"] or row["template"].replace("_", " "),
            "detail": row["template"],
            "status": row["state"],
        }
        for row in rows
    ]


# --- The REST API's read models (api/people.py) ------------------------------------------

_API_PERSON = ("SELECT p.id, p.email, p.full_name, p.phone, p.linkedin, p.source, "
               "p.created_at, p.updated_at FROM people p")


async def api_people(*, q: str = "", email: str = "", updated_since=None,
                     cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Every live person (not merged away, not erased), newest first, keyset-paginated."""
    where, args = _filters(q, "", cursor)
    if email:
        args.append(email.strip().lower())
        where.append(f"p.email = ${len(args)}")
    if updated_since is not None:
        args.append(updated_since)
        where.append(f"p.updated_at >= ${len(args)}")
    args.append(limit + 1)
    rows = await fetch(
        f"{_API_PERSON} WHERE {' AND '.join(where)} "  # nosec B608 # constant fragments, $n values
        f"ORDER BY p.created_at DESC, p.id DESC LIMIT ${len(args)}", *args)
    page, next_cursor = split_page(rows, limit, "created_at")
    return Page(page, next_cursor)


async def api_person(person_id: int) -> dict:
    """One live person with communities, consent state per purpose and scope (never the
    ledger's IP or user agent) and profile; never EEO self-identification."""
    rows = await fetch(
        f"{_API_PERSON} WHERE p.id = $1 AND p.merged_into IS NULL "  # nosec B608 # a constant select
        "AND p.email NOT LIKE 'erased-%@invalid'", person_id)
    if not rows:
        raise NotFound("There is no person with this id.")
    return {**rows[0], "communities": await _memberships(person_id),
            "consents": await api_consents(person_id),
            "profile": await profiles.profile_summary(person_id)}


async def api_consents(person_id: int) -> list[dict]:
    return [{"purpose": entry["purpose"], "scope": entry["scope"], "state": entry["action"],
             "occurred_at": entry["occurred_at"], "text_version": entry["text_version"] or "",
             "method": entry["method"]}
            for entry in current_states(await consent.ledger(person_id))]

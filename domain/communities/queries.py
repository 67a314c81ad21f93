"""Read models for talent communities beyond the public pages (the REST API's lists)."""

from __future__ import annotations

from domain.db import fetch
from domain.errors import NotFound
from domain.keyset import older_than, split_page


async def api_communities(*, cursor: str | None = None,
                          limit: int = 50) -> tuple[list[dict], str | None]:
    """Every community with its confirmed member count, newest first, keyset-paginated."""
    args: list = []
    after = older_than(cursor, args, "c.created_at", "c.id")
    args.append(limit + 1)
    rows = await fetch(
        "SELECT c.id, c.slug, c.name, c.description, c.is_public, c.interest_options, "  # noqa: S608  # nosec B608 # constant fragments, $n values
        "c.created_at, (SELECT count(*) FROM community_memberships m WHERE m.community = c.id "
        " AND m.status = 'confirmed') AS member_count FROM talent_communities c "
        f"{'WHERE ' + after if after else ''} "
        f"ORDER BY c.created_at DESC, c.id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "created_at")


async def community_id(slug: str) -> int:
    rows = await fetch("SELECT id FROM talent_communities WHERE slug = $1", slug)
    if not rows:
        raise NotFound("There is no talent community with this slug.")
    return int(rows[0]["id"])


async def members(community: int, *, status: str = "", cursor: str | None = None,
                  limit: int = 50) -> tuple[list[dict], str | None]:
    """Memberships newest first (by request time), keyset-paginated."""
    args: list = [community, status]
    where = ["m.community = $1", "($2 = '' OR m.status = $2)"]
    after = older_than(cursor, args, "m.requested_at", "m.id")
    if after:
        where.append(after)
    args.append(limit + 1)
    rows = await fetch(
        "SELECT m.id, m.person, p.email, p.full_name, m.status, m.interests, m.requested_at, "  # noqa: S608  # nosec B608 # constant fragments, $n values
        "m.confirmed_at, m.left_at FROM community_memberships m "
        f"JOIN people p ON p.id = m.person WHERE {' AND '.join(where)} "
        f"ORDER BY m.requested_at DESC, m.id DESC LIMIT ${len(args)}", *args)
    return split_page(rows, limit, "requested_at")

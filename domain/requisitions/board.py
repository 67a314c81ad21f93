"""The public job board's read model: open requisitions, searched and filtered, newest
first, a page at a time by keyset (never OFFSET, so a deep page costs what page 1 does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.db import fetch
from domain.errors import NotFound

PAGE_SIZE = 20
REMOTE_POLICIES = {"onsite": "On site", "hybrid": "Hybrid", "remote": "Remote"}
EMPLOYMENT_TYPES = {"full_time": "Full time", "part_time": "Part time",
                    "contract": "Contract", "temporary": "Temporary",
                    "internship": "Internship"}

_CARD = ("id, slug, title, team, locations, remote_policy, employment_type, seniority, "
         "salary_min, salary_max, salary_currency, salary_period, opened_at")


@dataclass(frozen=True)
class BoardFilters:
    text: str = ""
    team: str = ""
    location: str = ""
    remote: str = ""
    employment_type: str = ""


@dataclass(frozen=True)
class Cursor:
    opened_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.opened_at.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor | None:
        stamp, _, ident = raw.rpartition("_")
        try:
            return cls(datetime.fromisoformat(stamp), int(ident))
        except ValueError:
            return None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(filters: BoardFilters, cursor: Cursor | None) -> tuple[str, list]:
    # An open requisition always has opened_at; the partial index orders the board by it.
    clauses, args = ["status = 'open'", "opened_at IS NOT NULL"], []

    def arg(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.text:
        pattern = arg(_like(filters.text))
        clauses.append(f"(title ILIKE {pattern} OR team ILIKE {pattern} "
                       f"OR description ILIKE {pattern})")
    if filters.team:
        clauses.append(f"team = {arg(filters.team)}")
    if filters.location:
        clauses.append(f"{arg(filters.location)} = ANY(locations)")
    if filters.remote:
        clauses.append(f"remote_policy = {arg(filters.remote)}")
    if filters.employment_type:
        clauses.append(f"employment_type = {arg(filters.employment_type)}")
    if cursor is not None:
        # Matches the index order (opened_at DESC, id ASC): ties on the time go by id.
        stamp, ident = arg(cursor.opened_at), arg(cursor.id)
        clauses.append(f"(opened_at < {stamp} OR (opened_at = {stamp} AND id > {ident}))")
    return " AND ".join(clauses), args


async def search(filters: BoardFilters, *, after: Cursor | None = None,
                 limit: int = PAGE_SIZE) -> tuple[list[dict], Cursor | None]:
    """One page of open requisitions and the cursor of the next page (None at the end)."""
    where, args = _where(filters, after)
    rows = await fetch(
        f"SELECT {_CARD} FROM requisitions WHERE {where} "  # noqa: S608 clauses are ours  # nosec B608
        f"ORDER BY opened_at DESC, id LIMIT {int(limit) + 1}", *args)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (Cursor(rows[-1]["opened_at"], rows[-1]["id"]) if more else None)


async def filter_options() -> dict[str, list[str]]:
    """The teams and locations that open requisitions actually have, for the filters."""
    rows = await fetch(
        "SELECT array(SELECT DISTINCT team FROM requisitions WHERE status = 'open' "
        "AND team <> '' ORDER BY team) AS teams, array(SELECT DISTINCT loc FROM requisitions, "
        "unnest(locations) AS loc WHERE status = 'open' ORDER BY loc) AS locations")
    return {"teams": list(rows[0]["teams"]), "locations": list(rows[0]["locations"])}


async def posting(slug: str) -> dict:
    """A requisition as the public may see it. Drafts do not exist for the public; open,
    on-hold and closed ones are returned with their status for the page to explain."""
    rows = await fetch(
        "SELECT id, slug, title, team, locations, remote_policy, employment_type, seniority, "
        "required_skills, nice_skills, description, salary_min, salary_max, salary_currency, "
        "salary_period, status, screening_questions, opened_at, closed_at, target_start, "
        "created_at FROM requisitions WHERE slug = $1 AND status <> 'draft'", slug[:80])
    if not rows:
        raise NotFound("There is no job at this address.")
    return rows[0]

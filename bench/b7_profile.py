"""B7's profile pass: statements and database time per registration through the domain
service, and how long a seat's transaction holds the event row lock (which serialises
the seat phase of a spike, so it bounds the seat rate whatever the concurrency)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

Entry = tuple[float, str, float]  # (perf_counter at the end, query, elapsed seconds)
SEAT_UPDATE = "UPDATE events SET taken = taken + 1"


def kind(query: str) -> str:
    """`UPDATE events`, `INSERT outbound_emails`, `BEGIN` …: a statement's shape."""
    words = query.split()
    if not words:
        return "?"
    verb = words[0].upper().rstrip(";")
    upper = [word.upper() for word in words]
    if verb in ("INSERT", "DELETE") and len(words) > 2:
        return f"{verb} {words[2]}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if verb == "SELECT" and "FROM" in upper[:-1]:
        return f"SELECT {words[upper.index('FROM') + 1]}"
    return verb


async def profile(register: Callable[[int], Awaitable[str]], pool: Any,
                  people: list[int]) -> dict[str, Any]:
    """Registers `people` one after another (no queueing, no lock waits) with asyncpg's
    query logger on every connection of `pool`; figures per outcome."""
    entries: list[Entry] = []

    def logger(record: Any) -> None:
        entries.append((time.perf_counter(), record.query, record.elapsed))

    await _each_connection(pool, lambda conn: conn.add_query_logger(logger))
    try:
        seen: dict[str, list[tuple[float, list[Entry]]]] = {}
        for person_id in people:
            mark, began = len(entries), time.perf_counter()
            outcome = await register(person_id)
            seen.setdefault(outcome, []).append((time.perf_counter() - began, entries[mark:]))
    finally:
        await _each_connection(pool, lambda conn: conn.remove_query_logger(logger))
    return {outcome: summarise(samples, seated=outcome == "registered")
            for outcome, samples in seen.items()}


async def _each_connection(pool: Any, action: Callable[[Any], None]) -> None:
    """Holding them all at once is the only way to reach every connection of a pool."""
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        for conn in held:
            action(conn)
    finally:
        for conn in held:
            await pool.release(conn)


def lock_held_ms(statements: list[Entry]) -> float | None:
    """From the start of the seat UPDATE to the end of the COMMIT that follows it."""
    starts = [end - elapsed for end, query, elapsed in statements
              if SEAT_UPDATE in query]  # alone, or inside the seat-and-status CTE
    if not starts:
        return None
    commits = [end for end, query, _ in statements
               if query.strip().upper().rstrip(";") == "COMMIT" and end > starts[0]]
    return (commits[0] - starts[0]) * 1000 if commits else None


def summarise(samples: list[tuple[float, list[Entry]]], *, seated: bool) -> dict[str, Any]:
    kinds: dict[str, list[float]] = {}
    for _, statements in samples:
        for _, query, elapsed in statements:
            kinds.setdefault(kind(query), []).append(elapsed * 1000)
    # Only a seat's UPDATE keeps the row locked: one that finds the event full locks nothing.
    held = [ms for _, statements in samples
            if seated and (ms := lock_held_ms(statements)) is not None]
    count = len(samples)
    return {
        "registrations": count,
        "statements_per_registration": round(sum(len(s) for _, s in samples) / count, 2),
        "ms_per_registration": round(statistics.median(t for t, _ in samples) * 1000, 3),
        "db_ms_per_registration": round(sum(map(sum, kinds.values())) / count, 3),
        "event_lock_held_ms": round(statistics.median(held), 3) if held else None,
        "statements": {name: {"per_registration": round(len(values) / count, 2),
                              "mean_ms": round(statistics.fmean(values), 3)}
                       for name, values in sorted(kinds.items(), key=lambda kv: -sum(kv[1]))},
    }

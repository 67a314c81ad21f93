"""Transactions with an after-commit hook, and the engine used for raw SQL.

Piccolo's nested `transaction()` joins the outer one (no savepoint), so the
after-commit callbacks belong to the outermost transaction and run once it commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

log = logging.getLogger("talentloop.db")
Callback = Callable[[], Awaitable[Any]]
_pending: ContextVar[list[Callback] | None] = ContextVar("after_commit", default=None)
# A connection held by `holding()`: fetch/execute use it (inside or outside the
# transaction `transaction_opened_by` runs on it).
_held: ContextVar[Any] = ContextVar("held_connection", default=None)


_engine: PostgresEngine | None = None


def engine() -> PostgresEngine:
    # Found once: engine_finder imports and inspects piccolo_conf on every call, which
    # showed as ~2% of a campaign send's CPU (B5). piccolo_conf.DB never changes.
    global _engine
    if _engine is None:
        found = engine_finder()
        if not isinstance(found, PostgresEngine):
            raise RuntimeError("talentloop needs a PostgresEngine in piccolo_conf.DB")
        _engine = found
    return _engine


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    if _pending.get() is not None:
        async with engine().transaction(allow_nested=True):
            yield
        return
    callbacks: list[Callback] = []
    token = _pending.set(callbacks)
    try:
        async with engine().transaction():
            yield
    finally:
        _pending.reset(token)
    # Reached only when the block committed: a rollback re-raises above.
    for callback in callbacks:
        await callback()


def after_commit(callback: Callback) -> None:
    """Run `callback` after the current transaction commits (or now, outside one)."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("after_commit() called outside domain.db.transaction()")
    pending.append(callback)


@asynccontextmanager
async def holding() -> AsyncIterator[None]:
    """Run the block's statements on one pool connection (autocommit unless inside
    `transaction_opened_by`): a hot path's several statements then take one connection
    from the pool instead of one each."""
    if _held.get() is not None:
        yield
        return
    async with connection() as conn:
        token = _held.set(conn)
        try:
            yield
        finally:
            _held.reset(token)


@asynccontextmanager
async def transaction_opened_by(first_statement: str) -> AsyncIterator[None]:
    """A transaction on the held connection whose BEGIN travels with its first
    statement, in one round trip (the simple query protocol: no parameters, so the
    statement must be built from trusted values only, such as integer ids). Commits
    when the block ends, rolls back when it raises. No after-commit callbacks."""
    conn = _held.get()
    if conn is None:
        raise RuntimeError("transaction_opened_by() needs domain.db.holding()")
    if conn.is_in_transaction():  # BEGIN would only warn, and COMMIT end the outer one
        raise RuntimeError("transaction_opened_by() cannot nest in another transaction")
    await conn.execute(f"BEGIN; {first_statement}")
    try:
        yield
    except BaseException:
        if not conn.is_closed():
            # Shielded: a cancelled group must still end its transaction here rather
            # than leave it to the pool (which would roll back, but only on release).
            await asyncio.shield(conn.execute("ROLLBACK"))
        raise
    await conn.execute("COMMIT")


@asynccontextmanager
async def connection() -> AsyncIterator[Any]:
    """The held connection (`holding`), else the current transaction's asyncpg
    connection, else one from the pool (or a new one)."""
    held = _held.get()
    if held is not None:
        yield held
        return
    eng = engine()
    current = eng.current_transaction.get()
    if current is not None:
        yield current.connection
    elif eng.pool is not None:
        async with eng.pool.acquire() as conn:
            yield conn
    else:
        conn = await eng.get_new_connection()
        try:
            yield conn
        finally:
            await conn.close()


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Parameterised ($1, $2 …) read for read models the query builder cannot express."""
    async with connection() as conn:
        return [dict(row) for row in await conn.fetch(sql, *args)]


async def fetch_records(sql: str, *args: Any) -> list[Any]:
    """Like fetch, but the driver's read-only records (mapping access by column name)
    without copying each into a dict: for hot read paths whose rows go straight to a
    template or JSON."""
    async with connection() as conn:
        return list(await conn.fetch(sql, *args))


async def fetchval(sql: str, *args: Any) -> Any:
    async with connection() as conn:
        return await conn.fetchval(sql, *args)


async def execute(sql: str, *args: Any) -> str:
    async with connection() as conn:
        return str(await conn.execute(sql, *args))


async def start_pool(*, max_size: int = 10) -> bool:
    """Open the connection pool unless one is open; True when this call opened it.
    Without a pool Piccolo opens a new connection for every query."""
    eng = engine()
    if eng.pool is not None:
        return False
    await eng.start_connection_pool(min_size=1, max_size=max_size, timeout=10,
                                    reset=_keep_session_state)
    return True


async def _keep_session_state(connection: Any) -> None:
    """Skip asyncpg's per-release RESET ALL / UNLISTEN / advisory-unlock round trip.

    asyncpg still rolls back an open transaction before calling this. We never change
    session state (no SET, LISTEN, cursors or session-level advisory locks: locks are
    transaction-scoped), so the default reset would cost a round trip per query for
    nothing — measured as a large share of a page's database time (bench B1).
    """


async def close_pool(*, give_up_after: float | None = None) -> None:
    """Close the pool once its connections are back; with `give_up_after`, terminate the
    ones still out after that many seconds (asyncpg would otherwise wait for ever, and a
    worker told to stop would never exit)."""
    eng = engine()
    if eng.pool is None:
        return
    if give_up_after is None:
        await eng.close_connection_pool()
        return
    try:
        await asyncio.wait_for(asyncio.shield(eng.pool.close()), give_up_after)
    except TimeoutError:
        log.error("database connections still in use %.0f s after shutdown began: "
                  "closing them", give_up_after)
        eng.pool.terminate()
    eng.pool = None

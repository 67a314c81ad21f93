"""domain.db.holding and transaction_opened_by, the sender's one-connection path: the
statements of a block share one connection, the transaction opened with a statement
commits at the end and rolls back on an error, and misuse is refused."""

import pytest

from domain.db import execute, fetchval, holding, transaction, transaction_opened_by


async def _table() -> None:
    await execute("CREATE TABLE IF NOT EXISTS held_probe (id int PRIMARY KEY, note text)")
    await execute("TRUNCATE held_probe")


async def test_a_held_block_runs_on_one_connection_in_and_out_of_its_transaction():
    async with holding():
        before = await fetchval("SELECT pg_backend_pid()")
        async with transaction_opened_by("SELECT 1"):
            inside = await fetchval("SELECT pg_backend_pid()")
            xact = await fetchval("SELECT pg_current_xact_id()::text")
            assert await fetchval("SELECT pg_current_xact_id()::text") == xact  # one transaction
        after = await fetchval("SELECT pg_backend_pid()")

    assert before == inside == after


async def test_the_opening_statement_runs_inside_the_transaction_and_the_block_commits():
    await _table()
    async with holding():
        async with transaction_opened_by(
                "SET LOCAL synchronous_commit TO off; INSERT INTO held_probe VALUES (1, 'a')"):
            assert await fetchval("SHOW synchronous_commit") == "off"
            await execute("INSERT INTO held_probe VALUES (2, 'b')")
        assert await fetchval("SHOW synchronous_commit") == "on"  # LOCAL: this one only

    assert await fetchval("SELECT count(*) FROM held_probe") == 2


async def test_an_error_in_the_block_rolls_back_the_opening_statement_too():
    await _table()

    with pytest.raises(ZeroDivisionError):
        async with holding(), transaction_opened_by("INSERT INTO held_probe VALUES (1, 'a')"):
            await execute("INSERT INTO held_probe VALUES (2, 'b')")
            raise ZeroDivisionError
    async with holding():  # the connection went back usable, not mid-transaction
        assert await fetchval("SELECT count(*) FROM held_probe") == 0


async def test_it_needs_a_held_connection_and_no_outer_transaction():
    with pytest.raises(RuntimeError, match="holding"):
        async with transaction_opened_by("SELECT 1"):
            pass
    with pytest.raises(RuntimeError, match="nest"):
        async with transaction(), holding(), transaction_opened_by("SELECT 1"):
            pass

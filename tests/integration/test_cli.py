"""The command line explains configuration problems in one line, without a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def talentloop(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


def assert_one_clear_line(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("talentloop:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_database_is_one_line():
    port = unused_port()
    result = talentloop("migrate", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/x")
    assert_one_clear_line(result, "cannot reach PostgreSQL", str(port))


def test_malformed_database_url_is_one_line():
    result = talentloop("migrate", DATABASE_URL="mysql://somewhere/db")
    assert_one_clear_line(result, "not a valid PostgreSQL URL")


def test_missing_database_is_named():
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/no_such_database_here"
    result = talentloop("migrate", DATABASE_URL=url)
    assert_one_clear_line(result, "'no_such_database_here' does not exist", "createdb")


def test_unreachable_redis_stops_the_worker_with_one_line():
    port = unused_port()
    result = talentloop("worker", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert_one_clear_line(result, "cannot reach Redis", str(port))


def test_port_in_use_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = talentloop("web", PORT=str(port))
    assert_one_clear_line(result, f"port {port}", "already in use")


def test_production_without_required_settings_refuses_to_start():
    env = dict.fromkeys(("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL"), "")
    result = talentloop("check", APP_ENV="production", **env)
    assert_one_clear_line(result, "APP_ENV=production needs", "SECRET_KEY", "BASE_URL")


def test_users_create_validates_roles():
    result = talentloop("users", "create", "--email", "a@b.example", "--role", "wizard",
                        "--password", "long-enough-password")
    assert_one_clear_line(result, "unknown role 'wizard'")


def test_users_create_makes_an_account_once():
    result = talentloop("users", "create", "--email", "Ops@Example.com", "--role", "admin",
                        "--name", "Ops", "--password", "long-enough-password")
    assert result.returncode == 0, result.stderr
    assert "Created ops@example.com with roles admin" in result.stdout
    again = talentloop("users", "create", "--email", "ops@example.com", "--role", "admin",
                       "--password", "long-enough-password")
    assert_one_clear_line(again, "already exists")


@pytest.mark.parametrize("command", [["check"]])
def test_check_reports_each_service(command):
    result = talentloop(*command)
    assert "✓ PostgreSQL" in result.stdout
    assert "✓ Redis" in result.stdout
    assert "✓ SMTP" in result.stdout
    assert result.returncode == 0

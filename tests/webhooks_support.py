"""Webhook subscriptions for tests, and a receiver written with the standard library only
(http.server in a thread on 127.0.0.1) that verifies signatures and dedupes on Webhook-Id,
the way the README tells a consumer to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from domain.db import fetch

SECRET = "test-secret"
ALL_TYPES = ["person.created", "consent.changed", "application.created",
             "application.stage_changed", "application.hired", "registration.created"]


async def subscribe(url: str = "https://hooks.example/in", types: list[str] | None = None, *,
                    secret: str = SECRET, active: bool = True,
                    allow_private: bool = True, owner: int | None = None) -> int:
    now = datetime.now(UTC)
    rows = await fetch(
        "INSERT INTO webhook_subscriptions (url, description, event_types, secret, owner, "
        "active, allow_private_network, consecutive_failures, disabled_reason, created_at, "
        "updated_at) VALUES ($1, '', $2, $3, $4, $5, $6, 0, '', $7, $7) RETURNING id",
        url, types or ALL_TYPES, secret, owner, active, allow_private, now)
    return int(rows[0]["id"])


async def events(type_: str | None = None) -> list[dict]:
    rows = await fetch("SELECT id, event_id, type, person, payload FROM webhook_events "
                       "WHERE $1::text IS NULL OR type = $1 ORDER BY id", type_)
    for row in rows:
        row["payload"] = json.loads(row["payload"])
    return rows


async def deliveries() -> list[dict]:
    return await fetch("SELECT * FROM webhook_deliveries ORDER BY id")


class Receiver:
    """POSTs land here. `fail_first` answers 500 that many times; every request is kept,
    and `processed` holds each verified event once (dedupe on Webhook-Id)."""

    def __init__(self, secret: str = SECRET, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.processed: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.handle(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def verify(self, headers: dict, body: bytes) -> bool:
        timestamp = headers.get("Webhook-Timestamp", "")
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body,
                            hashlib.sha256).hexdigest()
        given = headers.get("Webhook-Signature", "").removeprefix("v1=")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        return fresh and hmac.compare_digest(expected, given)

    def handle(self, headers: dict, body: bytes) -> int:
        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            if not self.verify(headers, body):
                return 401
            if self.fail_first > 0:
                self.fail_first -= 1
                return 500
            self.processed.setdefault(headers["Webhook-Id"], json.loads(body))
            return 204

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

"""`/healthz`: database, Redis and worker heartbeat, as JSON for load balancers and ops."""

from __future__ import annotations

import time

from litestar import Request, get
from litestar.response import Response

from domain.db import fetchval

HEARTBEAT_KEY = "talentloop:worker:heartbeat"
WORKER_STALE_SECONDS = 30


async def _check_database() -> dict:
    started = time.perf_counter()
    try:
        await fetchval("SELECT 1")
    except Exception as exc:  # health must report, never raise
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


async def _check_redis(request: Request) -> tuple[dict, dict]:
    try:
        started = time.perf_counter()
        await request.app.state.redis.ping()
        latency = round((time.perf_counter() - started) * 1000, 2)
        beat = await request.app.state.redis.get(HEARTBEAT_KEY)
    except Exception as exc:  # health must report, never raise
        return {"ok": False, "error": exc.__class__.__name__}, {"ok": False, "error": "redis down"}
    age = round(time.time() - float(beat), 1) if beat else None
    worker = {"ok": age is not None and age < WORKER_STALE_SECONDS, "heartbeat_age_seconds": age}
    return {"ok": True, "latency_ms": latency}, worker


@get("/healthz", name="healthz", tags=["operations"], cache=False)
async def healthz(request: Request) -> Response[dict]:
    """Liveness and readiness: 200 when everything is up, 503 otherwise."""
    database = await _check_database()
    redis, worker = await _check_redis(request)
    healthy = database["ok"] and redis["ok"] and worker["ok"]
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis,
            "worker": worker}
    return Response(body, status_code=200 if healthy else 503)

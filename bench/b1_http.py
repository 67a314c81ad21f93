"""B1, the HTTP ladder (QUALITY.md 3.2): how much of a bare ASGI server's throughput each
layer of a real portal page keeps, measured against that ceiling in the same run.

Every rung is its own uvicorn process (one worker, httptools) on the server core; a round
runs the ceiling first, then each rung: a b c d, a b c d, … and a rung's figure is the
median of its per-round rps ratio to that round's (a).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from bench.harness import (
    Check,
    Context,
    interleave,
    kept_pairs,
    log,
    median_of,
    per_pair_ratios,
    ratio_stats,
)
from bench.server import UvicornServer, write_log_config


@dataclass(frozen=True)
class Rung:
    key: str
    label: str
    target: str  # uvicorn import string
    factory: bool
    path: str
    expect: bytes  # the readiness probe must see this in a 200 answer
    adds: str  # the layer this rung adds to its base rung, to name a binding ceiling
    base: str | None  # the rung it builds on (None for the ceiling)


CEILING = "a"
RUNGS = [
    Rung("a", "raw ASGI callable, 13 bytes", "bench.apps:raw_app", False, "/",
         b"Hello, world!", "uvicorn + httptools", None),
    Rung("b", "Litestar hello world", "bench.apps:hello_app", True, "/", b"Hello, world!",
         "Litestar routing and response", "a"),
    Rung("c", "portal/communities/detail.html via Jinja2, fixed context, no DB",
         "bench.apps:portal_page_app", True, "/communities/engineering", b"Join Engineering",
         "Jinja2 rendering", "b"),
    Rung("d", "real app /communities/engineering: indexed reads on Piccolo's pool, full"
         " middleware (sessions, CSRF, headers, access log)", "asgi:create_app", True,
         "/communities/engineering", b"Join Engineering",
         "DB reads + app middleware + access log", "c"),
    Rung("p", "the community page as deployed: the real app behind the public page cache"
         " (anonymous visitors, 2 s)", "asgi:create_server_app", True,
         "/communities/engineering", b"Join Engineering",
         "public page cache (per-visitor CSRF token, no render on a hit)", "d"),
    # The issue also names the job list page (target >= 0.25x bare ASGI). It does not
    # exist yet; when it does, add Rung("e", "real app /jobs", "asgi:create_app", True,
    # "/jobs", b"...", "job list query + rendering", "b") here and
    # Target("e_over_a_rps", "e", "ratio", ">=", 0.25) below.
]


@dataclass(frozen=True)
class Target:
    name: str
    rung: str
    metric: str  # "ratio": median per-pair rps ratio to the ceiling; else a raw median
    op: str
    threshold: float


TARGETS = [
    Target("b_over_a_rps", "b", "ratio", ">=", 0.45),
    Target("c_over_a_rps", "c", "ratio", ">=", 0.25),
    Target("d_over_a_rps", "d", "ratio", ">=", 0.12),
    Target("p99_ms_d", "d", "p99_ms", "<=", 25),
    # Candidate-portal issue: a public page served by one worker keeps >= 0.25x bare ASGI.
    Target("page_over_a_rps", "p", "ratio", ">=", 0.25),
]


METRICS = ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_req", "server_cpu_util")


def _start_servers(stack: ExitStack, ctx: Context) -> dict[str, UvicornServer]:
    log_config = write_log_config(ctx.workdir / "log-config.json")
    pin = ctx.pinning.prefix(ctx.pinning.server_cpu)
    servers = {}
    for rung in RUNGS:
        server = UvicornServer(rung.key, rung.target, factory=rung.factory, env=ctx.env,
                               pin=pin, log_dir=ctx.workdir, log_config=log_config)
        stack.callback(server.stop)
        server.start()
        servers[rung.key] = server
    return servers


def _runner(ctx: Context, rung: Rung, server: UvicornServer):
    url = server.url(rung.path)

    def run() -> dict[str, Any]:
        ctx.loadgen.run(url, ctx.size.warmup)  # discarded: connection set-up, caches
        cpu_before = server.cpu_seconds()
        result = ctx.loadgen.run(url, ctx.size.seconds).as_dict()
        cpu = server.cpu_seconds() - cpu_before
        result["server_cpu_ms_per_req"] = round(cpu * 1000 / max(1, result["requests"]), 4)
        result["server_cpu_util"] = round(cpu / max(result["seconds"], 1e-9), 3)
        log(f"  {rung.key}: {result['rps']:>9.1f} rps  p99 {result['p99_ms']:7.2f} ms"
            f"  server {result['server_cpu_ms_per_req']:.3f} ms CPU/req")
        return result

    return run


def _checks(ratios: dict[str, dict], medians: dict[str, dict]) -> list[Check]:
    checks = []
    for target in TARGETS:
        value = (ratios[target.rung]["median"] if target.metric == "ratio"
                 else medians[target.rung][target.metric])
        checks.append(Check(target.name, value, target.op, target.threshold))
    return checks


def layer_costs(medians: dict[str, dict]) -> dict[str, Any]:
    """Server CPU per request each rung adds to its base rung; the largest addition is
    the binding ceiling a miss is charged to (QUALITY.md 3.1)."""
    cost = {key: values["server_cpu_ms_per_req"] for key, values in medians.items()}
    added = {f"{r.key}: {r.adds}": round(cost[r.key] - cost[r.base], 4)
             for r in RUNGS if r.base is not None}
    return {"server_cpu_ms_per_req": cost, "added_ms_per_req": added,
            "binding": max(added, key=lambda layer: added[layer])}


def _warnings(rounds: list[dict[str, Any]]) -> list[str]:
    """Failed requests make rps meaningless (errors are fast), so they are called out."""
    return [f"pair {r['pair']} rung {key}: {run['errors']} errors, {run['non_2xx']} non-2xx"
            for r in rounds for key, run in r["runs"].items() if run["errors"] or run["non_2xx"]]


def _measure(ctx: Context) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """All servers up, each answering its page, then the interleaved rounds."""
    with ExitStack() as stack:
        servers = _start_servers(stack, ctx)
        body_bytes = {r.key: servers[r.key].wait_ready(r.path, r.expect) for r in RUNGS}
        runners = {r.key: _runner(ctx, r, servers[r.key]) for r in RUNGS}
        log(f"B1: {ctx.size.pairs} pairs x {len(RUNGS)} rungs, {ctx.size.seconds:g} s each"
            f" after a {ctx.size.warmup:g} s warm-up, load by {ctx.loadgen.name}")
        return interleave(runners, ctx.size.pairs), body_bytes


def summarise(rounds: list[dict[str, Any]], kept: list[int]) -> dict[str, Any]:
    variants = [r.key for r in RUNGS if r.key != CEILING]
    medians = {r.key: {metric: round(median_of(rounds, kept, r.key, metric), 3)
                       for metric in METRICS} for r in RUNGS}
    return {
        "ceiling": {"rung": CEILING, "median_rps": medians[CEILING]["rps"]},
        "medians": medians,
        "ratios": {key: ratio_stats(per_pair_ratios(rounds, kept, key, CEILING))
                   for key in variants},
        # The ladder again from server CPU per request (ceiling cost / rung cost): the rps
        # ratio with the server core to itself, so less sensitive to other load.
        "cpu_ratios": {key: ratio_stats([1 / r for r in per_pair_ratios(
            rounds, kept, key, CEILING, metric="server_cpu_ms_per_req")]) for key in variants},
        "layers": layer_costs(medians),
    }


def run(ctx: Context) -> tuple[list[Check], dict[str, Any]]:
    rounds, body_bytes = _measure(ctx)
    kept = kept_pairs(rounds)
    summary = summarise(rounds, kept)
    figures = {
        "loadgen": ctx.loadgen.describe(),
        "pinning": ctx.pinning.as_dict(),
        "protocol": {"pairs": ctx.size.pairs, "seconds": ctx.size.seconds,
                     "warmup_seconds": ctx.size.warmup, "order": [r.key for r in RUNGS]},
        "rungs": {r.key: {"label": r.label, "app": r.target, "path": r.path,
                          "body_bytes": body_bytes[r.key]} for r in RUNGS},
        **summary,
        "kept_pairs": kept,
        "loadavg_samples": [r["loadavg"] for r in rounds],
        "pairs": rounds,
        "warnings": _warnings(rounds),
    }
    return _checks(summary["ratios"], summary["medians"]), figures

"""What every benchmark shares: sizes, core pinning, noise samples, A/B interleaving,
ratio statistics and the results file (QUALITY.md 3.1 and 3.5)."""

from __future__ import annotations

import json
import operator
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
OTHER_LOAD_LIMIT = 1.5  # busy cores from other processes above which a pair is dropped
MIN_PAIRS = 3  # never drop pairs below this many: a noisy figure beats no figure
QUIET_SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class Size:
    pairs: int  # A/B rounds
    seconds: float  # measured length of each run
    warmup: float  # discarded run before each measured one
    seed_people: int  # demo people seeded into the throwaway database


SIZES = {
    "ci": Size(pairs=3, seconds=3, warmup=2, seed_people=200),
    "local": Size(pairs=5, seconds=6, warmup=2, seed_people=2000),
    "full": Size(pairs=5, seconds=10, warmup=2, seed_people=20000),
}

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


@dataclass(frozen=True)
class Check:
    """One target of QUALITY.md 3.2; `met` is computed from value, op and threshold."""

    name: str
    value: float
    op: str
    threshold: float

    @property
    def met(self) -> bool:
        return _OPS[self.op](self.value, self.threshold)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": round(self.value, 3),
                "target": f"{self.op} {self.threshold:g}", "met": self.met}


# -- pinning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinning:
    """Server alone on one core, load generator (and our PostgreSQL/Redis) on another."""

    server_cpu: int | None
    loadgen_cpu: int | None

    @classmethod
    def detect(cls) -> Pinning:
        if shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2:
            return cls(server_cpu=1, loadgen_cpu=0)
        return cls(server_cpu=None, loadgen_cpu=None)

    @staticmethod
    def prefix(cpu: int | None) -> list[str]:
        return ["taskset", "-c", str(cpu)] if cpu is not None else []

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.server_cpu is not None, "tool": "taskset",
                "server_cpu": self.server_cpu, "loadgen_cpu": self.loadgen_cpu}


@dataclass(frozen=True)
class Context:
    """Everything a benchmark gets from the harness."""

    size_name: str
    size: Size
    pinning: Pinning
    loadgen: Any  # loadgen.Wrk or loadgen_asyncio.AsyncioLoop: run(url, seconds) etc.
    env: dict[str, str]  # child-process environment pointing at the throwaway database
    workdir: Path  # scratch directory removed after the run


def log(message: str) -> None:
    """Progress on stderr: runs last minutes and stdout is kept for the summary."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- noise -----------------------------------------------------------------------------


def _cpu_times() -> tuple[int, int, int]:
    """(total, busy, steal) jiffies over all CPUs from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    total = sum(fields[:8])  # guest time is already counted in user
    idle = fields[3] + fields[4]  # idle + iowait
    return total, total - idle, fields[7]


def noise_sample(seconds: float = QUIET_SAMPLE_SECONDS) -> dict[str, Any]:
    """loadavg, and CPU use by everyone else while our servers sit idle between runs."""
    sample: dict[str, Any] = {"loadavg": [round(x, 2) for x in os.getloadavg()]}
    try:
        before = _cpu_times()
        time.sleep(seconds)
        after = _cpu_times()
    except (OSError, ValueError, IndexError):
        return sample  # not Linux: loadavg only
    total = max(1, after[0] - before[0])
    cpus = os.cpu_count() or 1
    sample["other_busy_cores"] = round((after[1] - before[1]) / total * cpus, 2)
    sample["steal_pct"] = round((after[2] - before[2]) / total * 100.0, 2)
    return sample


def kept_pairs(samples: list[dict[str, Any]]) -> list[int]:
    """Indexes of pairs taken into the medians: noisy pairs dropped while MIN_PAIRS remain."""
    quiet = [i for i, s in enumerate(samples) if s.get("other_busy_cores", 0) <= OTHER_LOAD_LIMIT]
    return quiet if len(quiet) >= MIN_PAIRS else list(range(len(samples)))


# -- interleaving and statistics -------------------------------------------------------

Runner = Callable[[], dict[str, Any]]


def interleave(runners: dict[str, Runner], pairs: int,
               sample: Callable[[], dict[str, Any]] = noise_sample) -> list[dict[str, Any]]:
    """`pairs` rounds of every runner in order (ceiling first): A B C … A B C …

    Bounded by construction: pairs x len(runners) runs, each bounded by its load generator.
    """
    rounds = []
    for index in range(pairs):
        noise = sample()
        log(f"pair {index + 1}/{pairs}: {noise}")
        runs = {name: run() for name, run in runners.items()}
        rounds.append({"pair": index, **noise, "runs": runs})
    return rounds


def ratio_stats(ratios: list[float]) -> dict[str, Any]:
    """Median of per-pair ratios (not a ratio of medians) and how far they spread."""
    if not ratios:
        raise ValueError("no pairs to take a ratio from")
    low, high = min(ratios), max(ratios)
    return {"median": round(statistics.median(ratios), 4), "min": round(low, 4),
            "max": round(high, 4), "spread": round(high - low, 4),
            "per_pair": [round(r, 4) for r in ratios]}


def per_pair_ratios(rounds: list[dict[str, Any]], kept: list[int], variant: str,
                    ceiling: str, metric: str = "rps") -> list[float]:
    return [rounds[i]["runs"][variant][metric] / rounds[i]["runs"][ceiling][metric]
            for i in kept]


def median_of(rounds: list[dict[str, Any]], kept: list[int], name: str, metric: str) -> float:
    return float(statistics.median(rounds[i]["runs"][name][metric] for i in kept))


# -- results ---------------------------------------------------------------------------


def machine(postgres_version: str) -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "postgres": postgres_version}


def results_document(bench_id: str, size: str, machine_info: dict[str, Any],
                     checks: list[Check], figures: dict[str, Any],
                     now: datetime | None = None) -> dict[str, Any]:
    when = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": bench_id, "size": size, "when": when, "machine": machine_info,
            "checks": [check.as_dict() for check in checks], "figures": figures}


def write_results(document: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{document['id']}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


CLAIM_KEY = "talentloop:test-run"  # the claim test runs put in their Redis database


def claim_redis_database(redis_url: str, bench_id: str) -> tuple[str, Any]:
    """A Redis database of our own on the configured server (1-15, claimed like test
    runs claim theirs), emptied before and after: any worker on a shared database would
    take our jobs and tracking hits into its own PostgreSQL, and arq results a previous
    run left would refuse this run's job ids (each run's database numbers its campaigns
    from 1 again). Returns the URL and a release callback."""
    from urllib.parse import urlsplit, urlunsplit

    import redis

    for index in range(1, 16):
        url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{index}"))
        client = redis.Redis.from_url(url)
        try:
            if client.set(CLAIM_KEY, f"bench-{bench_id}-{os.getpid()}", nx=True, ex=3600):
                client.flushdb()
                client.set(CLAIM_KEY, f"bench-{bench_id}-{os.getpid()}", ex=3600)
                return url, lambda u=url: redis.Redis.from_url(u).flushdb()
        finally:
            client.close()
    raise RuntimeError("every Redis database 1-15 is claimed")

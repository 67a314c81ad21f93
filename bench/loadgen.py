"""Load generators: `wrk` when installed, else the built-in asyncio closed loop of
`bench.loadgen_asyncio`.

Both hold CONNECTIONS requests in flight (closed loop: a connection sends its next request
when the previous answer arrived) and report requests/s and latency percentiles. Results
name the generator used: only wrk figures compare across machines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

CONNECTIONS = 32
WRK_GRACE_SECONDS = 30.0  # wrk's own start/stop on top of -d; beyond that it is hung


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    seconds: float
    errors: int  # connect/read/write/timeout failures
    non_2xx: int  # answers outside 2xx/3xx

    def as_dict(self) -> dict:
        return {key: round(value, 3) if isinstance(value, float) else value
                for key, value in asdict(self).items()}


# -- wrk -------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_PERCENTILE = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


class WrkOutputError(ValueError):
    """wrk printed something we cannot read figures from."""


def parse_wrk(text: str) -> LoadResult:
    """Figures from `wrk --latency` output (wrk 4.x)."""
    percentiles = {int(p): float(v) * _UNITS_MS[u] for p, v, u in _PERCENTILE.findall(text)}
    total, rps = _TOTAL.search(text), _RPS.search(text)
    if total is None or rps is None or set(percentiles) != {50, 99}:
        raise WrkOutputError(f"unexpected wrk output: {text[-400:]!r}")
    non_2xx = _NON_2XX.search(text)
    socket_errors = _SOCKET.search(text)
    return LoadResult(
        rps=float(rps.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000.0,
        errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


class Wrk:
    name = "wrk"

    def __init__(self, binary: str, pin: list[str]):
        self.binary = binary
        self.pin = pin  # e.g. ["taskset", "-c", "0"], or [] when not pinning

    def command(self, url: str, seconds: float) -> list[str]:
        return [*self.pin, self.binary, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
                "--latency", url]

    def run(self, url: str, seconds: float) -> LoadResult:
        done = subprocess.run(self.command(url, seconds), capture_output=True, text=True,
                              timeout=seconds + WRK_GRACE_SECONDS, check=False)
        if done.returncode != 0:
            raise WrkOutputError(f"wrk exited with {done.returncode}: {done.stderr.strip()}")
        return parse_wrk(done.stdout)

    def describe(self) -> dict:
        version = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                 timeout=10, check=False)
        return {"name": self.name, "version": (version.stdout or version.stderr).split("\n")[0],
                "command": " ".join(self.command("URL", 0)).replace("-d1s", "-d<secs>s")}


def detect(pin: list[str]) -> Any:
    """wrk if on PATH, else the asyncio fallback (BENCH_LOADGEN=asyncio forces it)."""
    binary = shutil.which("wrk")
    if binary and os.environ.get("BENCH_LOADGEN", "wrk") != "asyncio":
        return Wrk(binary, pin)
    from bench.loadgen_asyncio import AsyncioLoop  # imports LoadResult from here

    return AsyncioLoop()

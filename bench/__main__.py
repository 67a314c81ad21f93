"""`python -m bench <ID>|all [--size ci|local|full] [--strict]` (QUALITY.md 3.5).

Exit status: 0 when every run finished (targets missed or not, unless --strict), 1 with
--strict and a missed target, 2 when a run could not be completed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.harness import (
    SIZES,
    Context,
    Pinning,
    log,
    machine,
    results_document,
    write_results,
)
from bench.loadgen import WrkOutputError
from bench.registry import BENCHMARKS
from bench.services import services


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("id", help=f"benchmark id ({', '.join(BENCHMARKS)}) or 'all'")
    parser.add_argument("--size", choices=list(SIZES), default="ci")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a check misses its target (default: report only)")
    args = parser.parse_args(argv)
    args.ids = list(BENCHMARKS) if args.id.lower() == "all" else [args.id.upper()]
    unknown = [i for i in args.ids if i not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; known: {', '.join(BENCHMARKS)}, all")
    return args


def run_one(bench_id: str, size_name: str, pinning: Pinning) -> dict[str, Any]:
    size = SIZES[size_name]
    generator = loadgen.detect(pinning.prefix(pinning.loadgen_cpu))
    with tempfile.TemporaryDirectory(prefix="talentloop-bench-") as scratch, services(
        Path(scratch), pin_cpu=pinning.loadgen_cpu, seed_people=size.seed_people
    ) as running:
        log(f"{bench_id} at {size_name}: services ready ({', '.join(running.embedded) or 'none'}"
            f" embedded), PostgreSQL {running.postgres_version}")
        ctx = Context(size_name=size_name, size=size, pinning=pinning, loadgen=generator,
                      env=running.env, workdir=Path(scratch))
        checks, figures = BENCHMARKS[bench_id](ctx)
        figures["services"] = {"embedded": running.embedded}
    return results_document(bench_id, size_name, machine(running.postgres_version), checks,
                            figures)


def summary(document: dict[str, Any], path: Path) -> str:
    lines = [f"{document['id']} ({document['size']}, load by "
             f"{document['figures'].get('loadgen', {}).get('name', '?')}) -> {path}"]
    for check in document["checks"]:
        verdict = "met   " if check["met"] else "MISSED"
        lines.append(f"  {verdict} {check['name']:<16} {check['value']:>10} {check['target']}")
    lines += [f"  warning: {w}" for w in document["figures"].get("warnings", [])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinning = Pinning.detect()
    if pinning.loadgen_cpu is not None:
        # The harness itself (and the fallback load generator it runs) stays off the
        # server's core; children it starts inherit this unless they are pinned elsewhere.
        os.sched_setaffinity(0, {pinning.loadgen_cpu})
    missed = 0
    for bench_id in args.ids:
        try:
            document = run_one(bench_id, args.size, pinning)
        except (RuntimeError, OSError, subprocess.SubprocessError, WrkOutputError) as error:
            # Services, servers or the load generator failed: no figures are written.
            print(f"{bench_id} failed: {error}", file=sys.stderr)
            return 2
        path = write_results(document)
        print(summary(document, path), flush=True)
        missed += sum(not check["met"] for check in document["checks"])
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

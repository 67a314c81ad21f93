"""The benchmark harness without real load: the results file, ratio maths, noise handling
and loop limits (load generators: test_loadgen.py). Nothing here times the system under
test (QUALITY.md 3.5)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bench.harness import (
    Check,
    interleave,
    kept_pairs,
    machine,
    median_of,
    noise_sample,
    per_pair_ratios,
    ratio_stats,
    results_document,
    write_results,
)
from bench.server import probe
from runtime.errors import RuntimeServiceError
from runtime.ports import find_free_port

# -- results file ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "op", "threshold", "met"), [
    (0.45, ">=", 0.45, True),
    (0.449, ">=", 0.45, False),
    (25.0, "<=", 25, True),
    (25.01, "<=", 25, False),
])
def test_met_is_computed_from_value_and_target(value, op, threshold, met):
    check = Check("x", value, op, threshold)

    assert check.met is met
    assert check.as_dict()["met"] is met
    assert check.as_dict()["target"] == f"{op} {threshold:g}"


def test_results_document_has_the_contract_shape(tmp_path):
    checks = [Check("b_over_a_rps", 0.51234, ">=", 0.45), Check("p99_ms_d", 31.0, "<=", 25)]
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    document = results_document("B1", "ci", machine("18.1"), checks, {"medians": {}}, now=now)
    path = write_results(document, directory=tmp_path)

    stored = json.loads(path.read_text())
    assert path.name == "B1.json"
    assert stored == document
    assert set(stored) == {"id", "size", "when", "machine", "checks", "figures"}
    assert stored["when"] == "2026-12-01T10:00:00Z"  # UTC, whatever zone `now` was in
    assert set(stored["machine"]) == {"cpus", "python", "postgres"}
    assert stored["machine"]["postgres"] == "18.1"
    assert stored["checks"] == [
        {"name": "b_over_a_rps", "value": 0.512, "target": ">= 0.45", "met": True},
        {"name": "p99_ms_d", "value": 31.0, "target": "<= 25", "met": False},
    ]


def test_results_document_defaults_to_now_in_utc():
    document = results_document("B1", "ci", machine("18.1"), [], {})

    when = datetime.strptime(document["when"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


# -- ratios -------------------------------------------------------------------------------


def _rounds(a_rps: list[float], b_rps: list[float]) -> list[dict]:
    return [{"pair": i, "runs": {"a": {"rps": a, "p99_ms": 1.0}, "b": {"rps": b, "p99_ms": 2.0}}}
            for i, (a, b) in enumerate(zip(a_rps, b_rps, strict=True))]


def test_the_figure_is_the_median_of_per_pair_ratios_not_a_ratio_of_medians():
    # The ceiling drifts (100 → 400) as load on the machine changes; each pair's ratio
    # cancels that drift, a ratio of medians (60 / 200 = 0.3) does not.
    rounds = _rounds([100, 200, 400], [50, 60, 300])

    stats = ratio_stats(per_pair_ratios(rounds, [0, 1, 2], "b", "a"))

    assert stats["per_pair"] == [0.5, 0.3, 0.75]
    assert stats["median"] == 0.5
    assert (stats["min"], stats["max"]) == (0.3, 0.75)
    assert stats["spread"] == pytest.approx(0.45)
    assert median_of(rounds, [0, 1, 2], "b", "rps") / median_of(rounds, [0, 1, 2], "a", "rps") \
        == pytest.approx(0.3)


def test_ratios_use_only_the_kept_pairs():
    rounds = _rounds([100, 100, 100, 100], [50, 90, 50, 50])

    assert per_pair_ratios(rounds, [0, 2, 3], "b", "a") == [0.5, 0.5, 0.5]


def test_an_empty_ratio_list_is_an_error():
    with pytest.raises(ValueError, match="no pairs"):
        ratio_stats([])


def test_noisy_pairs_are_dropped_only_while_three_remain():
    noisy = {"other_busy_cores": 2.0}
    quiet = {"other_busy_cores": 0.2}

    assert kept_pairs([quiet, noisy, quiet, quiet]) == [0, 2, 3]
    assert kept_pairs([quiet, noisy, quiet]) == [0, 1, 2]
    assert kept_pairs([{"loadavg": [1, 1, 1]}] * 3) == [0, 1, 2]  # no /proc/stat: kept


def test_noise_sample_records_loadavg():
    sample = noise_sample(seconds=0.01)

    assert len(sample["loadavg"]) == 3
    assert set(sample) <= {"loadavg", "other_busy_cores", "steal_pct"}


# -- bounded loops ----------------------------------------------------------------------


def test_interleave_runs_ceiling_first_a_fixed_number_of_rounds():
    calls: list[str] = []
    runners = {key: (lambda key=key: calls.append(key) or {"rps": 1.0}) for key in "abc"}

    rounds = interleave(runners, 3, sample=lambda: calls.append("sample") or {"loadavg": [0] * 3})

    assert calls == ["sample", "a", "b", "c"] * 3
    assert [r["pair"] for r in rounds] == [0, 1, 2]


def test_the_readiness_probe_gives_up_after_its_attempts():
    url = f"http://127.0.0.1:{find_free_port()}/"
    began = time.monotonic()

    with pytest.raises(RuntimeServiceError, match="not ready after 3 probes"):
        probe(url, b"x", attempts=3, interval=0.01)
    assert time.monotonic() - began < 20.0

"""B1's structure and apps, and the CLI, without load: what is measured is what QUALITY.md
3.2 names."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from bench import apps, b1_http
from bench.__main__ import parse_args, summary
from bench.registry import BENCHMARKS


def test_b1_is_registered():
    assert BENCHMARKS["B1"] is b1_http.run


def test_the_ceiling_comes_first_and_every_rung_builds_on_an_earlier_one():
    keys = [rung.key for rung in b1_http.RUNGS]

    assert keys[0] == b1_http.CEILING
    assert len(set(keys)) == len(keys)
    for index, rung in enumerate(b1_http.RUNGS[1:], start=1):
        assert rung.base in keys[:index]


def test_targets_are_those_of_quality_md():
    targets = {(t.name, t.rung, t.metric, t.op, t.threshold) for t in b1_http.TARGETS}

    assert targets == {
        ("b_over_a_rps", "b", "ratio", ">=", 0.45),
        ("c_over_a_rps", "c", "ratio", ">=", 0.25),
        ("d_over_a_rps", "d", "ratio", ">=", 0.12),
        ("p99_ms_d", "d", "p99_ms", "<=", 25),
        ("page_over_a_rps", "p", "ratio", ">=", 0.25),  # the candidate-portal issue's bar
    }


def test_the_binding_layer_is_the_largest_added_server_cost():
    medians = {"a": {"server_cpu_ms_per_req": 0.03}, "b": {"server_cpu_ms_per_req": 0.08},
               "c": {"server_cpu_ms_per_req": 0.60}, "d": {"server_cpu_ms_per_req": 0.90},
               "p": {"server_cpu_ms_per_req": 0.05}}

    layers = b1_http.layer_costs(medians)

    assert layers["added_ms_per_req"] == {
        "b: Litestar routing and response": 0.05,
        "c: Jinja2 rendering": 0.52,
        "d: DB reads + app middleware + access log": 0.3,
        "p: public page cache (per-visitor CSRF token, no render on a hit)": -0.85,
    }
    assert layers["binding"] == "c: Jinja2 rendering"


def _run(rps: float, p99: float, cpu: float) -> dict:
    return {"rps": rps, "p50_ms": p99 / 4, "p99_ms": p99, "server_cpu_ms_per_req": cpu,
            "server_cpu_util": 1.0}


def test_checks_come_from_the_median_of_per_round_figures():
    rounds = [{"pair": i, "runs": {"a": _run(a, 5, 0.04), "b": _run(a / 2, 10, 0.08),
                                   "c": _run(a / 10, 40, 0.5), "d": _run(a / 20, p99, 0.8),
                                   "p": _run(a / 2, 12, 0.05)}}
              for i, (a, p99) in enumerate([(20000, 30.0), (10000, 20.0), (16000, 24.0)])]

    summary = b1_http.summarise(rounds, [0, 1, 2])
    checks = {c.name: c for c in b1_http._checks(summary["ratios"], summary["medians"])}

    assert summary["ceiling"] == {"rung": "a", "median_rps": 16000}
    assert (checks["b_over_a_rps"].value, checks["b_over_a_rps"].met) == (0.5, True)
    assert (checks["c_over_a_rps"].value, checks["c_over_a_rps"].met) == (0.1, False)
    assert (checks["d_over_a_rps"].value, checks["d_over_a_rps"].met) == (0.05, False)
    assert (checks["p99_ms_d"].value, checks["p99_ms_d"].met) == (24.0, True)
    assert (checks["page_over_a_rps"].value, checks["page_over_a_rps"].met) == (0.5, True)
    assert summary["cpu_ratios"]["d"]["median"] == 0.05
    assert summary["layers"]["binding"] == "c: Jinja2 rendering"


async def test_the_raw_app_answers_13_bytes():
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await apps.raw_app({"type": "http", "method": "GET", "path": "/"}, receive, send)

    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"Hello, world!"
    assert len(sent[1]["body"]) == 13


def test_the_litestar_hello_app_answers_the_same_body():
    with TestClient(apps.hello_app()) as client:
        answer = client.get("/")

    assert answer.status_code == 200
    assert answer.content == b"Hello, world!"


def test_the_page_rung_renders_the_real_community_page_without_a_database():
    with TestClient(apps.portal_page_app()) as client:
        answer = client.get("/communities/engineering")

    assert answer.status_code == 200
    assert "Join Engineering" in answer.text
    assert 'name="consent_text_id" value="1"' in answer.text


def test_the_cli_takes_one_id_or_all():
    assert parse_args(["b1", "--size", "local"]).ids == ["B1"]
    assert parse_args(["all"]).ids == list(BENCHMARKS)
    assert parse_args(["B1"]).size == "ci"


def test_the_cli_refuses_unknown_ids_and_sizes():
    with pytest.raises(SystemExit):
        parse_args(["B99"])
    with pytest.raises(SystemExit):
        parse_args(["B1", "--size", "huge"])


def test_the_summary_names_misses_and_warnings(tmp_path):
    document = {"id": "B1", "size": "ci", "figures": {"loadgen": {"name": "wrk"},
                                                        "warnings": ["pair 0 rung d: 3 errors"]},
                "checks": [{"name": "p99_ms_d", "value": 31.0, "target": "<= 25", "met": False}]}

    text = summary(document, tmp_path / "B1.json")

    assert "MISSED p99_ms_d" in text
    assert "warning: pair 0 rung d: 3 errors" in text
    assert "load by wrk" in text

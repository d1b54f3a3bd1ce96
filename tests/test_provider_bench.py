"""`deskpilot bench provider` runs and reports sound figures (not how fast they are)."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from app.bench.cli import register
from app.bench.provider_bench import LatencySummary, format_result, run_provider_bench

SUMMARY_KEYS = {"count", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "min_ms", "max_ms"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskpilot")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_percentiles_of_a_known_series() -> None:
    summary = LatencySummary.of([float(i) for i in range(1, 101)])
    assert summary.count == 100
    assert summary.p50_ms == pytest.approx(50.5)
    assert summary.p95_ms == pytest.approx(95.05)
    assert summary.p99_ms == pytest.approx(99.01)
    assert (summary.min_ms, summary.max_ms, summary.mean_ms) == (1.0, 100.0, 50.5)


def test_quick_run_reports_finite_positive_figures_for_both_sides() -> None:
    result = run_provider_bench(calls=20, warmup=2)

    figures = result.as_dict()
    for side in ("raw", "stack"):
        assert set(figures[side]) == SUMMARY_KEYS
        assert figures[side]["count"] == 20
        for key in SUMMARY_KEYS - {"count"}:
            value = figures[side][key]
            assert math.isfinite(value) and value > 0, (side, key, value)
        assert figures[side]["min_ms"] <= figures[side]["p50_ms"] <= figures[side]["p99_ms"]
    assert figures["overhead_p50_ms"] == pytest.approx(
        figures["stack"]["p50_ms"] - figures["raw"]["p50_ms"]
    )
    assert math.isfinite(figures["overhead_p99_ms"])
    assert figures["ratio_p50"] > 0
    assert figures["cores"] >= 1 and figures["machine"] and figures["python"]

    table = format_result(result)
    assert "raw openai SDK" in table and "adapter stack" in table
    assert "overhead" in table and f"{result.cores} cores" in table


def test_command_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["bench", "provider", "--calls", "3", "--warmup", "0", "--json"])
    assert args.func(args) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["raw"]["count"] == printed["stack"]["count"] == 3
    assert printed["target_p50_ms"] == 1.0 and printed["target_p99_ms"] == 3.0
    assert isinstance(printed["meets_target"], bool)


def test_command_refuses_zero_calls(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["bench", "provider", "--calls", "0"])
    assert "must be at least 1" in capsys.readouterr().err

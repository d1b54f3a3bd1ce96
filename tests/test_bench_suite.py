"""`deskpilot bench all --quick` runs every benchmark end to end and writes sound figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from app.bench.cli import register
from app.bench.loop_lag import LoopLagProbe
from app.bench.turn_texts import bench_message, bench_messages
from app.errors import DeskpilotError

SUMMARY_KEYS = {"count", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "min_ms", "max_ms"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskpilot")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def _sane(summary: dict[str, Any], *, count: int | None = None, positive: bool = True) -> None:
    assert set(summary) == SUMMARY_KEYS
    if count is not None:
        assert summary["count"] == count
    for key in SUMMARY_KEYS - {"count"}:
        assert math.isfinite(summary[key]), (key, summary)
        assert summary[key] > 0 if positive else summary[key] >= 0, (key, summary)
    assert summary["min_ms"] <= summary["p50_ms"] <= summary["p95_ms"] <= summary["max_ms"]


def test_messages_are_about_a_thousand_characters_with_personal_data() -> None:
    messages = bench_messages(30)

    assert len(set(messages)) == 30
    assert all(950 <= len(m) <= 1001 for m in messages)
    # Presidio gets real work in every message: a phone number, an email address and a name.
    assert all(re.search(r"\b07\d{3} \d{6}\b", m) for m in messages)
    assert all(re.search(r"\b[a-z]+\.\d\d@example\.net\b", m) for m in messages)
    assert all(re.search(r"(partner|neighbour|you,) [A-Z][a-z]+ [A-Z]", m) for m in messages)
    assert bench_message(7) == bench_message(7)  # the same run twice sends the same text


def test_loop_lag_probe_sees_a_blocked_loop() -> None:
    async def blocked() -> list[float]:
        async with LoopLagProbe(interval_s=0.005) as probe:
            await asyncio.sleep(0.03)
            time.sleep(0.08)  # noqa: ASYNC251 - holds the loop, as a blocking handler would
            await asyncio.sleep(0.03)
        return probe.samples_ms

    samples = asyncio.run(blocked())
    assert max(samples) >= 60
    assert sorted(samples)[len(samples) // 2] < 60


def test_bad_session_counts_are_refused() -> None:
    args = _parser().parse_args(["bench", "concurrency", "--sessions", "1,lots"])
    with pytest.raises(DeskpilotError, match="--sessions"):
        args.func(args)


def test_quick_suite_writes_markdown_and_json(tmp_path: Path) -> None:
    out, json_out = tmp_path / "benchmarks.md", tmp_path / "benchmarks.json"
    argv = ["bench", "all", "--quick", "--cache-dir", str(tmp_path / "cache")]
    args = _parser().parse_args([*argv, "--out", str(out), "--json-out", str(json_out)])

    assert args.func(args) == 0

    doc = json.loads(json_out.read_text())
    sizes = doc["sizes"]
    assert doc["mode"] == "quick"
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["cpu"] and doc["machine"]["python"]

    pipeline = doc["pipeline"]
    assert pipeline["errors"] == 0 and pipeline["chunks"] == sizes["chunks"]
    for key in ("overhead", "wall", "provider"):
        _sane(pipeline[key], count=sizes["pipeline_turns"])
    _sane(pipeline["loop_lag"], positive=False)
    # Overhead is the wall time less the provider's share: below the wall time, never above.
    assert pipeline["overhead"]["p50_ms"] < pipeline["wall"]["p50_ms"]
    assert 0 < pipeline["loop_cpu_ms_per_turn"] < pipeline["wall"]["max_ms"]

    levels = doc["concurrency"]["levels"]
    assert [lv["sessions"] for lv in levels] == list(sizes["sessions"])
    for level in levels:
        assert level["errors"] == 0 and level["turns"] >= sizes["min_turns"]
        assert 0 < level["turns_per_s"] < 1000
        _sane(level["overhead"], count=level["turns"])
        _sane(level["loop_lag"], positive=False)
    assert levels[0]["overhead_p95_vs_single"] == 1.0
    # Every turn waits for the provider's first token at least.
    assert all(lv["wall"]["min_ms"] >= doc["concurrency"]["ttft_ms"] for lv in levels)

    cache = doc["cache"]
    assert cache["errors"] == 0 and cache["hits"] == sizes["cache_questions"]
    _sane(cache["hit_turn"], count=sizes["cache_questions"])
    assert cache["provider_turn"]["min_ms"] >= cache["ttft_ms"]

    provider = doc["provider"]
    for side in ("raw", "stack", "litellm"):
        _sane(provider[side], count=sizes["provider_calls"])
    assert doc["ingest"]["ingest_per_s"] > 0 and doc["ingest"]["embed_per_s"] > 0

    targets = doc["targets"]
    assert len(targets) == 6 and all(t["met"] in (True, False, None) for t in targets)
    # 200 sessions are not run at quick sizes: the loop-lag target is not judged.
    assert next(t for t in targets if "loop lag" in t["name"])["met"] is None

    markdown = out.read_text()
    assert "## Targets" in markdown and "Quick sizes" in markdown
    assert doc["machine"]["cpu"] in markdown
    for row in targets:
        assert row["name"] in markdown
    assert "LiteLLM SDK" in markdown and "cache hit" in markdown

"""`deskpilot bench retrieval` runs end to end on a tiny size and leaves no store behind."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pytest

from app.bench.retrieval_bench import register_bench, synthetic_passages
from app.errors import DeskpilotError

pytestmark = pytest.mark.slow


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register_bench(parser.add_subparsers(dest="bench_command", required=True))
    return parser.parse_args(argv)


def test_synthetic_passages_are_varied() -> None:
    passages = synthetic_passages(200)
    assert len({p.text for p in passages}) == 200
    assert len({p.id for p in passages}) == 200
    assert {p.audience for p in passages} == {"public", "internal"}


def test_bench_prints_figures_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    args = _parse(["retrieval", "--sizes", "40,120", "--sample", "40", "--queries", "6", "--json"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert [s["passages"] for s in result["sizes"]] == [40, 120]
    assert result["embed_per_s"] > 0 and result["ingest_per_s"] > 0
    assert 0.8 < result["int8_mean_cosine"] <= 1.0
    assert all(s["hybrid_p95_ms"] >= s["hybrid_p50_ms"] > 0 for s in result["sizes"])
    assert list(tmp_path.iterdir()) == []  # the temporary store is gone


def test_sizes_below_the_sample_are_refused() -> None:
    args = _parse(["retrieval", "--sizes", "10", "--sample", "50"])
    with pytest.raises(DeskpilotError, match="at least the sample"):
        args.func(args)

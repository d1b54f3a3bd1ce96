"""``bench context`` runs end to end on a small setting, prints every stage and cleans up."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pytest

from app.bench.context_bench import STAGES, register_bench

pytestmark = pytest.mark.slow


def test_bench_context_prints_each_stage_and_removes_its_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = set(Path(tempfile.gettempdir()).glob("deskpilot-bench-context-*"))
    parser = argparse.ArgumentParser()
    register_bench(parser.add_subparsers(dest="bench_command"))
    args = parser.parse_args(
        ["context", "--iterations", "3", "--orders", "30", "--chunks", "300", "--json"]
    )
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["orders"], figures["chunks"], figures["iterations"]) == (30, 300, 3)
    assert set(figures["ms"]) == set(STAGES)
    for stage in STAGES:
        assert 0 < figures["ms"][stage]["p50"] <= figures["ms"][stage]["max"]
    assert set(Path(tempfile.gettempdir()).glob("deskpilot-bench-context-*")) <= before

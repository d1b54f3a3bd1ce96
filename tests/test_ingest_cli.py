"""`deskpilot ingest`, `search --json` and `eval retrieval` through their argparse wiring."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.cli_retrieval import register
from app.errors import DeskpilotError

pytestmark = pytest.mark.slow

PUBLIC = """---
title: Returns
updated: 2026-10-02
---
# Returns

You can send unused items back within 30 days of delivery for a full refund.
"""
INTERNAL_HTML = """<html><head><title>Approvals</title>
<meta name="audience" content="internal"></head><body>
<h1>Refund approvals</h1><p>Team leads approve goodwill refunds above 50 EUR.</p></body></html>"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="deskpilot")
    parser.add_argument("--data-dir", type=Path)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory and a small knowledge base with a broken file."""
    root = tmp_path_factory.mktemp("cli")
    kb = root / "kb"
    kb.mkdir()
    (kb / "returns.md").write_text(PUBLIC, encoding="utf-8")
    (kb / "broken.md").write_text("---\naudience: everyone\n---\nx", encoding="utf-8")
    (root / "approvals.html").write_text(INTERNAL_HTML, encoding="utf-8")
    return root


def test_ingest_reports_the_broken_file_ingests_the_rest_and_exits_1(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        ["--data-dir", str(data / "d"), "ingest", str(data / "kb"), str(data / "approvals.html")],
        capsys,
    )
    assert code == 1
    assert "failed: broken.md: ValueError: audience must be one of" in err
    assert out.strip() == (
        "Knowledge base 'knowledge': 2 added, 0 replaced, 0 unchanged, 0 removed; "
        + out.split("removed; ")[1].strip()
    )
    assert "2 passages embedded" in out and "1 failed" in out

    # Internal by flag, for files that do not say which: into a second knowledge base.
    code, out, _ = _run(
        [
            "--data-dir",
            str(data / "d"),
            "ingest",
            "--kb",
            "staff",
            "--audience",
            "internal",
            str(data / "kb" / "returns.md"),
        ],
        capsys,
    )
    assert code == 0 and "1 added" in out


def test_search_json_has_the_documented_fields_and_respects_audience(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--data-dir", str(data / "d"), "search", "--json", "--k", "2"]
    code, out, _ = _run([*argv, "who approves a 300 EUR goodwill refund"], capsys)
    assert code == 0
    hits = json.loads(out)
    assert [sorted(h) for h in hits] == [["score", "section", "source", "text", "title"]] * 2
    assert hits[0]["source"] == "approvals.html"
    assert hits[0]["title"] == "Refund approvals"

    _, out, _ = _run([*argv, "--audience", "public", "who approves goodwill refunds"], capsys)
    assert [h["source"] for h in json.loads(out)] == ["returns.md"]

    _, out, _ = _run([*argv, "--kb", "staff", "--audience", "public", "send items back"], capsys)
    assert json.loads(out) == []  # that knowledge base holds only internal passages
    _, out, _ = _run([*argv, "--kb", "staff", "send items back"], capsys)
    assert [h["source"] for h in json.loads(out)] == ["returns.md"]


def test_eval_retrieval_prints_recall_and_mrr_per_mode(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = data / "questions.jsonl"
    questions.write_text(
        '{"question": "how many days do I have to send something back", "source": "returns.md"}\n'
        '{"question": "who signs off goodwill money", "source": "approvals.html"}\n',
        encoding="utf-8",
    )
    code, out, _ = _run(
        ["--data-dir", str(data / "d"), "eval", "retrieval", str(questions), "--json"], capsys
    )
    assert code == 0
    report = json.loads(out)
    assert report["questions"] == 2
    assert [m["mode"] for m in report["modes"]] == ["vector", "keyword", "hybrid"]
    hybrid = report["modes"][2]
    assert hybrid["recall@5"] == 1.0 and hybrid["mrr"] == 1.0


def test_cli_errors_are_messages(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DeskpilotError, match="not found"):
        _run(["--data-dir", str(data / "d"), "ingest", str(data / "missing")], capsys)
    with pytest.raises(DeskpilotError, match="knowledge-base name"):
        _run(["--data-dir", str(data / "d"), "search", "--kb", "x", "refund"], capsys)
    with pytest.raises(DeskpilotError, match="empty"):
        _run(["--data-dir", str(data / "empty"), "eval", "retrieval"], capsys)

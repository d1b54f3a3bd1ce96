"""The triage commands: triage --all/--ticket, prompts test/lock, eval triage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.cli_triage import register
from app.errors import DeskpilotError
from tests.triage_setup import small_crm


def run(argv: list[str], data_dir: Path | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deskpilot")
    parser.add_argument("--data-dir", type=Path)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([*(["--data-dir", str(data_dir)] if data_dir else []), *argv])
    code: int = args.func(args)
    return code


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DESKPILOT_PROVIDERS_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_triage_all_is_resumable_and_one_ticket_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_crm(tmp_path)
    assert run(["triage", "--all", "--json"], tmp_path) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["done"], first["skipped"]) == (3, 0)
    assert first["urgency"] == {"P1": 1, "P2": 1, "P3": 1}
    assert run(["triage", "--all"], tmp_path) == 0
    assert "0 answers made, 3 already done" in capsys.readouterr().err
    assert run(["triage", "--ticket", "TCK-900001", "--kind", "all", "--json"], tmp_path) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["classification"]["answer"]["urgency"] == "P1"
    assert shown["classification"]["prompt"] == "triage_classify@1"
    assert shown["next_action"]["answer"]["team"] == "product_safety"
    assert shown["summary"]["model"] == "local-responder"
    with pytest.raises(DeskpilotError, match="No ticket 'TCK-1'"):
        run(["triage", "--ticket", "TCK-1"], tmp_path)


def test_prompts_test_prints_the_pass_rate_per_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["prompts", "test"], tmp_path) == 0
    out = capsys.readouterr().out
    assert "triage_classify@2        candidate       8/8   100%  local-responder" in out
    assert run(["prompts", "test", "next_action", "--json"], tmp_path) == 0
    report = json.loads(capsys.readouterr().out)
    assert [v["prompt"] for v in report["versions"]] == ["next_action@1"]
    assert report["lock_problems"] == []
    with pytest.raises(DeskpilotError, match="no prompt named nope"):
        run(["prompts", "test", "nope"], tmp_path)


def test_eval_triage_prints_accuracy_and_confusion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["eval", "triage", "--path", "local"], tmp_path) == 0
    out = capsys.readouterr().out
    assert "local path, 135 tickets" in out and "urgency confusion" in out
    assert run(["eval", "triage", "--json"], tmp_path) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"local"}  # no key: no model path
    assert report["local"]["tickets"] >= 100
    assert 0.5 < report["local"]["urgency_accuracy"] <= 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "hi", "urgency": "P7", "category": "general"}\n')
    with pytest.raises(DeskpilotError, match=r"bad\.jsonl:1: unknown urgency 'P7'"):
        run(["eval", "triage", str(bad)], tmp_path)
    with pytest.raises(DeskpilotError, match="no such file"):
        run(["eval", "triage", str(tmp_path / "missing.jsonl")], tmp_path)


def test_eval_triage_scores_the_model_path_too_when_a_key_is_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from tests.fakes.openai_server import Reply, run_fake_openai
    from tests.provider_setup import LOCAL_ENTRY, TASKS, TEST_KEY, openai_entry

    constant = json.dumps({"urgency": "P3", "category": "technical", "reason": "Always this."})
    with run_fake_openai(Reply(text=constant)) as fake:
        entry = openai_entry(fake.base_url, name="openai-economy", tier="economy")
        providers = tmp_path / "providers.yaml"
        providers.write_text(
            yaml.safe_dump({"version": 1, "models": [entry, LOCAL_ENTRY], "tasks": TASKS})
        )
        monkeypatch.setenv("DESKPILOT_PROVIDERS_FILE", str(providers))
        monkeypatch.setenv(entry["api_key_env"], TEST_KEY)
        assert run(["eval", "triage", "--json"], tmp_path) == 0
        sent = len(fake.requests)
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"local", "model"} and sent == 135
    from app.cli_triage_eval import DEFAULT_EVAL_SET

    labels = [json.loads(line) for line in DEFAULT_EVAL_SET.read_text().splitlines()]
    p3 = sum(row["urgency"] == "P3" for row in labels) / len(labels)
    technical = sum(row["category"] == "technical" for row in labels) / len(labels)
    assert report["model"]["urgency_accuracy"] == round(p3, 4)
    assert report["model"]["category_accuracy"] == round(technical, 4)
    assert report["model"]["confusion"]["urgency"]["P1"] == {"P3": 7}


def test_a_chat_conversation_is_classified_and_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.conversations import StoredTurn
    from app.runtime import conversation_store
    from app.settings import load_settings
    from tests.triage_setup import CUSTOMER

    database = small_crm(tmp_path)
    conversations = conversation_store(load_settings(data_dir=tmp_path), database)
    conversation = conversations.create(user_id=None, customer_id=CUSTOMER, role="customer")
    question = "My new laptop battery is swelling and getting hot, is it safe to use?"
    answer = "Please stop using it."
    turn = StoredTurn(question, question, answer, answer, True, "local", "m", "p@1", False, "{}")
    conversations.save_turn(
        conversation, 1, turn, conversations.vault(conversations.get(conversation))
    )

    assert run(["triage", "--conversation", str(conversation), "--json"], tmp_path) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["conversation"] == conversation and shown["prompt"] == "triage_classify@1"
    assert shown["answer"]["urgency"] in {"P1", "P2"} and shown["answer"]["category"]
    with pytest.raises(DeskpilotError, match="Conversation 999999 does not exist"):
        run(["triage", "--conversation", "999999"], tmp_path)

"""The ``deskpilot`` command as scripts use it: exact JSON forms, clear errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAT_KEYS = {
    "answer",
    "conversation_id",
    "provider",
    "model",
    "degraded",
    "usage",
    "cost_usd",
    "prompt",
    "sources",
    "latency_ms",
}


def deskpilot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console entry point in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_customers_list_json(cli_env: dict[str, str]) -> None:
    done = deskpilot(cli_env, "customers", "list", "--json")
    assert done.returncode == 0, done.stderr
    customers = json.loads(done.stdout)
    assert len(customers) >= 200
    assert set(customers[0]) >= {"id", "name", "email"}
    assert customers[0]["id"] == "CUS-10001"


@pytest.mark.slow
def test_chat_json_runs_one_full_turn_and_continues_a_conversation(cli_env: dict[str, str]) -> None:
    first = deskpilot(
        cli_env, "chat", "--customer", "CUS-10001", "--json", "What is the status of my order?"
    )
    assert first.returncode == 0, first.stderr
    turn = json.loads(first.stdout)
    assert set(turn) >= CHAT_KEYS
    assert turn["answer"].strip() and turn["provider"] == "local"
    assert turn["degraded"] is False and turn["prompt"] == "support_reply@1"
    assert set(turn["usage"]) == {"input_tokens", "output_tokens"}
    assert turn["usage"]["input_tokens"] > 0
    assert all({"source", "title"} <= set(s) for s in turn["sources"])
    context = turn["context"]
    assert set(context) == {"rules_version", "budget", "sections"}
    assert context["rules_version"] == "2026.11.1"
    assert sum(s["tokens"] for s in context["sections"]) <= context["budget"]
    for section in context["sections"]:
        assert set(section) == {"name", "tokens", "budget", "included", "dropped"}
    names = [s["name"] for s in context["sections"]]
    assert {"instructions", "rules", "customer", "orders", "passages", "memory"} <= set(names)
    assert isinstance(turn["rule_flags"], list)

    again = deskpilot(
        cli_env,
        "chat",
        "--customer",
        "CUS-10001",
        "--conversation",
        str(turn["conversation_id"]),
        "--json",
        "And how do I return it?",
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["conversation_id"] == turn["conversation_id"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["chat", "--customer", "CUS-10001", "--json", "   "], "empty"),
        (["chat", "--customer", "CUS-10001", "--json", "a\x07b"], "control character"),
        (["chat", "--customer", "CUS-99999", "--json", "hello"], "CUS-99999"),
    ],
)
def test_chat_refuses_bad_input_with_a_message_not_a_traceback(
    cli_env: dict[str, str], args: list[str], expected: str
) -> None:
    done = deskpilot(cli_env, *args)
    assert done.returncode == 2
    assert expected in done.stderr.lower() or expected in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_users_add_refuses_a_short_password(cli_env: dict[str, str]) -> None:
    done = deskpilot(
        cli_env, "users", "add", "--username", "x", "--password", "short", "--role", "agent"
    )
    assert done.returncode == 2 and "at least 10 characters" in done.stderr

"""Users: add, disable, enable, set a password from stdin; sign-in paths map to active users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import chainlit as cl
import pytest

from app.runtime import open_database
from app.settings import load_settings
from app.sign_in import header_username, oauth_username
from app.users import active_user, add_user, authenticate, set_disabled

REPO = Path(__file__).resolve().parent.parent


def _users(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "users", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_adds_disables_and_enables_a_user(cli_env: dict[str, str]) -> None:
    added = _users(
        cli_env,
        *("add", "--username", "cli-agent", "--role", "agent", "--password-stdin"),
        stdin="a-long-password-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert "Created agent 'cli-agent'" in added.stdout
    disabled = _users(cli_env, "disable", "--username", "cli-agent")
    assert disabled.returncode == 0, disabled.stderr
    listing = _users(cli_env, "list").stdout
    assert any("cli-agent" in line and "(disabled)" in line for line in listing.splitlines())
    assert _users(cli_env, "enable", "--username", "cli-agent").returncode == 0
    listing = _users(cli_env, "list").stdout
    assert any("cli-agent" in line and "disabled" not in line for line in listing.splitlines())
    unknown = _users(cli_env, "disable", "--username", "nobody-here")
    assert unknown.returncode == 2 and "No user named 'nobody-here'" in unknown.stderr


def test_a_disabled_user_cannot_sign_in_by_any_path(tmp_path: Path) -> None:
    database = open_database(load_settings(data_dir=tmp_path))
    add_user(database.sessions, username="ana", password="correct-horse-1", role="supervisor")
    assert authenticate(database.sessions, "ana", "correct-horse-1") is not None
    assert active_user(database.sessions, " ana ") is not None
    set_disabled(database.sessions, "ana")
    assert authenticate(database.sessions, "ana", "correct-horse-1") is None
    assert active_user(database.sessions, "ana") is None


def test_header_auth_reads_only_the_configured_header() -> None:
    headers = {"x-forwarded-user": " ana ", "x-remote-user": "admin"}
    assert header_username(headers, "X-Forwarded-User") == "ana"
    assert header_username({"x-forwarded-user": "  "}, "X-Forwarded-User") is None
    assert header_username({}, "X-Forwarded-User") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"email": "Ana@Example.COM", "login": "ana-gh"}, "ana@example.com"),
        ({"login": "ana-gh"}, "ana-gh"),
        ({"preferred_username": "ana.k"}, "ana.k"),
        ({}, "fallback-id"),
    ],
)
def test_oauth_identity_maps_to_a_user_name(raw: dict[str, object], expected: str) -> None:
    assert oauth_username("github", raw, cl.User(identifier="fallback-id")) == expected

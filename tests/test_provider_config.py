"""The provider configuration file and the router built on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from providers.config import ConfigError, load_config
from providers.routing import Router

BASE = {
    "version": 1,
    "models": [
        {
            "name": "oa-premium",
            "provider": "openai",
            "model": "gpt-4.1",
            "tier": "premium",
            "api_key_env": "TEST_OA_KEY",
        },
        {
            "name": "oa-standard",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "tier": "standard",
            "api_key_env": "TEST_OA_KEY",
        },
        {
            "name": "an-standard",
            "provider": "anthropic",
            "model": "claude-haiku-4-5",
            "tier": "standard",
            "api_key_env": "TEST_AN_KEY",
        },
        {
            "name": "oa-economy",
            "provider": "openai",
            "model": "gpt-4.1-mini",
            "tier": "economy",
            "api_key_env": "TEST_OA_KEY",
        },
        {"name": "local", "provider": "local", "model": "local-responder", "tier": "economy"},
    ],
    "tasks": {
        "agent_reply": "standard",
        "customer_reply": "standard",
        "triage": "economy",
        "summary": "economy",
    },
    "routing": {
        "upgrade_min_chars": 500,
        "upgrade_keywords": ["chargeback"],
        "upgrade_customer_tiers": ["premier"],
    },
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture()
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_OA_KEY", "sk-test")
    monkeypatch.setenv("TEST_AN_KEY", "sk-ant-test")


def test_the_shipped_configuration_is_valid_and_runs_keyless_on_the_local_responder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    config = load_config()
    assert [m.name for m in config.enabled_models()] == ["local"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert "openai-standard" in [m.name for m in load_config().enabled_models()]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["models"].pop(), "a 'local' entry is required"),
        (lambda d: d["models"][0].update(tier="gold"), "models.0.tier"),
        (lambda d: d["models"][0].pop("api_key_env"), "need api_key_env"),
        (lambda d: d["models"][1].update(name="oa-premium"), "repeated: oa-premium"),
        (lambda d: d["tasks"].pop("triage"), "tasks without a tier: triage"),
        (lambda d: d["models"][0].update(max_tokens=0), "models.0.max_tokens"),
        (lambda d: d["models"][0].update(api_key="sk-live-123"), "models.0.api_key"),
    ],
)
def test_a_bad_configuration_is_refused_with_where_and_why(
    tmp_path: Path, change: object, message: str
) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=r"providers\.yaml") as caught:
        load_config(write(tmp_path, data))
    assert message in str(caught.value)


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "providers.yaml"
    bad.write_text("models: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize(
    ("task", "message", "customer_tier", "budget_low", "tier", "reason"),
    [
        ("agent_reply", "Where is my order?", "standard", False, "standard", "task agent_reply"),
        ("triage", "Where is my order?", None, False, "economy", "task triage -> economy"),
        ("agent_reply", "I will file a CHARGEBACK", None, False, "premium", "keyword 'chargeback'"),
        ("agent_reply", "x" * 600, None, False, "premium", "long message (600 chars)"),
        ("customer_reply", "hello", "premier", False, "premium", "customer tier premier"),
        ("agent_reply", "chargeback", "premier", True, "economy", "budget nearly spent"),
        ("triage", "hello", None, True, "economy", "budget nearly spent"),
    ],
)
def test_routing_picks_the_tier_and_says_why(
    tmp_path: Path,
    keys: None,
    task: str,
    message: str,
    customer_tier: str | None,
    budget_low: bool,
    tier: str,
    reason: str,
) -> None:
    router = Router(load_config(write(tmp_path, BASE)))
    route = router.route(task, message=message, customer_tier=customer_tier, budget_low=budget_low)  # type: ignore[arg-type]
    assert route.tier == tier
    assert reason in route.reason


def test_the_chain_tries_the_tier_then_nearest_tiers_then_local(tmp_path: Path, keys: None) -> None:
    router = Router(load_config(write(tmp_path, BASE)))
    standard = router.route("agent_reply", message="hi")
    assert [m.name for m in standard.entries] == [
        "oa-standard",
        "an-standard",
        "oa-economy",
        "oa-premium",
        "local",
    ]
    premium = router.route("agent_reply", message="chargeback")
    assert [m.name for m in premium.entries][:2] == ["oa-premium", "oa-standard"]
    assert premium.entries[-1].name == "local"


def test_entries_without_their_key_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_AN_KEY", "sk-ant-test")
    monkeypatch.delenv("TEST_OA_KEY", raising=False)
    router = Router(load_config(write(tmp_path, BASE)))
    assert [m.name for m in router.route("agent_reply").entries] == ["an-standard", "local"]

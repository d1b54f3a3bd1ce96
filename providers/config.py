"""The provider configuration file: named model entries, task tiers and resilience settings.

Validated at start-up with pydantic; a mistake is reported with the file, the entry and the field,
before the app accepts a single message. Keys are never in the file: each entry names the
environment variable that holds its key, and an entry whose key is not set is simply disabled.
"""

from __future__ import annotations

import os
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Tier = Literal["economy", "standard", "premium"]
TIERS: tuple[Tier, ...] = ("economy", "standard", "premium")
Task = Literal["agent_reply", "customer_reply", "triage", "summary", "next_action"]


class ConfigError(ValueError):
    """The provider configuration is invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeoutSettings(_Strict):
    """Seconds allowed to connect, to the first token, between chunks, and in all."""

    connect_s: float = Field(5.0, gt=0)
    first_token_s: float = Field(15.0, gt=0)
    stall_s: float = Field(10.0, gt=0)
    total_s: float = Field(60.0, gt=0)


class ModelEntry(_Strict):
    """One model a provider serves, as the router and the fallback chain see it."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    provider: Literal["openai", "anthropic", "local"]
    model: str
    tier: Tier
    base_url: str | None = None
    base_url_env: str | None = None
    api_key_env: str | None = None
    max_tokens: int = Field(600, gt=0)
    # Tokens the model reads and writes in one call; context budgets are cut from it.
    context_window: int = Field(128000, gt=0)
    max_in_flight: int = Field(16, gt=0)
    timeouts: TimeoutSettings = TimeoutSettings()
    price_input_per_million: Decimal | None = Field(None, ge=0)
    price_output_per_million: Decimal | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _needs_key(self) -> ModelEntry:
        if self.provider != "local" and not self.api_key_env:
            raise ValueError(f"{self.provider} entries need api_key_env (the key's variable)")
        if (self.price_input_per_million is None) != (self.price_output_per_million is None):
            raise ValueError("give both price_input_per_million and price_output_per_million")
        return self

    def api_key(self) -> str | None:
        """The key from the environment, or None when it is not set."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def resolved_base_url(self) -> str | None:
        """The base URL: from its environment variable when set there, else the file's."""
        from_env = os.environ.get(self.base_url_env) if self.base_url_env else None
        return from_env or self.base_url

    def enabled(self) -> bool:
        """Local entries always; others only when their key is in the environment."""
        return self.provider == "local" or self.api_key() is not None


class RetrySettings(_Strict):
    """The one retry layer: exponential backoff with jitter, Retry-After honoured up to a cap."""

    max_attempts: int = Field(3, ge=1, le=10)
    base_delay_s: float = Field(0.25, ge=0)
    max_delay_s: float = Field(4.0, ge=0)
    retry_after_cap_s: float = Field(10.0, ge=0)


class BreakerSettings(_Strict):
    """When a model entry's circuit opens, and for how long."""

    failure_threshold: int = Field(5, ge=1)
    window_s: float = Field(30.0, gt=0)
    open_s: float = Field(20.0, gt=0)


class BulkheadSettings(_Strict):
    """How long a call may wait for a free slot of its provider."""

    queue_timeout_s: float = Field(5.0, ge=0)


class CacheSettings(_Strict):
    """Exact cache of answers, and the semantic cache of validated answers."""

    exact_ttl_s: float = Field(3600.0, gt=0)
    serve_before_call: bool = False
    # Validated answers by meaning before the call too (needs serve_before_call).
    semantic_before_call: bool = False
    semantic_threshold: float = Field(0.9, gt=0, le=1)


class RoutingSettings(_Strict):
    """When a message goes up a tier: long, high-value or escalation-worthy."""

    upgrade_min_chars: int = Field(1200, gt=0)
    upgrade_keywords: tuple[str, ...] = ()
    upgrade_customer_tiers: tuple[str, ...] = ()


class ProviderConfig(_Strict):
    """The whole provider configuration file."""

    version: int
    models: tuple[ModelEntry, ...]
    tasks: dict[Task, Tier]
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    bulkhead: BulkheadSettings = BulkheadSettings()
    cache: CacheSettings = CacheSettings()
    routing: RoutingSettings = RoutingSettings()

    @model_validator(mode="after")
    def _consistent(self) -> ProviderConfig:
        names = [m.name for m in self.models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique; repeated: {', '.join(duplicates)}")
        if not any(m.provider == "local" for m in self.models):
            raise ValueError("a 'local' entry is required: it answers when every provider fails")
        missing = [
            t for t in ("agent_reply", "customer_reply", "triage", "summary") if t not in self.tasks
        ]
        if missing:
            raise ValueError(f"tasks without a tier: {', '.join(missing)}")
        return self

    def enabled_models(self) -> list[ModelEntry]:
        """Entries usable now (keys present), in file order."""
        return [m for m in self.models if m.enabled()]


def default_config_path() -> Path:
    """The configuration shipped with the package (OpenAI entries, Anthropic, local)."""
    return Path(str(resources.files("providers").joinpath("providers.yaml")))


def load_config(path: Path | None = None) -> ProviderConfig:
    """Read and validate a provider configuration file."""
    path = path or default_config_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    try:
        return ProviderConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None

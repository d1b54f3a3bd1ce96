"""Deskpilot settings: read once from the environment (and ``.env``), then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dotenv import load_dotenv
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the app; ``.env.example`` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="DESKPILOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DESKPILOT_DATABASE_URL", "DATABASE_URL")
    )
    knowledge_dir: Path | None = None  # defaults to the demo company's articles
    chroma_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DESKPILOT_CHROMA_URL", "CHROMA_URL")
    )
    embedding_batch_size: int = Field(default=32, ge=1)
    embedding_backend: Literal["torch", "torch-int8"] = "torch"

    company_name: str = "Northwind Electronics"
    encryption_key: SecretStr | None = None  # Fernet key; generated into the data dir if unset

    # Named model entries, tiers and resilience settings; default: the packaged providers.yaml.
    # Keys are read from the variables each entry names (OPENAI_API_KEY, ANTHROPIC_API_KEY...).
    providers_file: Path | None = None
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DESKPILOT_REDIS_URL", "REDIS_URL")
    )
    temperature: float = 0.2

    max_message_chars: int = 4000
    retrieval_k: int = 4
    rules_file: Path | None = None  # business rules (YAML); default: the demo company's
    context_max_tokens: int = 6000  # context budget cap, below the model's window minus answer
    memory_summary_threshold_tokens: int = 1500  # unsummarised memory above this gets summarised
    memory_keep_recent_messages: int = 6  # messages always kept verbatim
    memory_earlier_conversations: int = 3  # recaps of the customer's earlier conversations
    memory_earlier_min_idle_minutes: int = 30  # a conversation idle this long counts as earlier
    spacy_model: str | None = None  # an installed official model name; default: packaged small
    local_stream_delay_s: float = 0.015

    host: str = "127.0.0.1"
    port: int = 8000
    log_format: Literal["text", "json"] = "text"  # json: one object per line, ids, never text

    # Cost and usage: budgets and alert thresholds (YAML; default: the packaged files).
    budgets_file: Path | None = None
    alerts_file: Path | None = None
    rate_limit_per_minute: int = Field(default=20, ge=1)  # requests per user per minute

    # Sign-in and the customer widget (README "Sign-in and roles", "Customer widget").
    # Header auth trusts a user name in a request header: only behind a proxy that sets it.
    header_auth_enabled: bool = False
    header_auth_user_header: str = "X-Forwarded-User"
    # Sites allowed to embed the widget and call the app from the browser (never "*").
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"]
    )
    # The key a host site's backend presents to mint a customer's widget token.
    widget_host_key: SecretStr | None = None
    widget_token_ttl_s: int = Field(default=300, ge=30, le=3600)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, an SQLite file in the data directory unless one is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'deskpilot.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        """Caches that can be rebuilt (tokenizer files)."""
        return self.data_dir / "cache"

    @property
    def secrets_dir(self) -> Path:
        """Generated secrets (encryption key, Chainlit auth secret), owner-only."""
        return self.data_dir / "secrets"


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with explicit overrides (tests, CLI flags).

    ``.env`` is loaded into the environment first (without overriding it), so provider keys
    written there reach the providers, which read the variables their entries name.
    """
    load_dotenv(".env", override=False)
    return Settings(**overrides)  # type: ignore[arg-type]

"""The environment the turn benchmarks run in: a real runtime over a temporary data directory.

The temporary directory gets the demo CRM (seeded), a synthetic knowledge base of the requested
size (linked from the cache, see ``kb_cache``), permissive budgets and a per-user rate limit high
enough that one process can run thousands of turns a minute. The runtime is the app's own
(``build_runtime``): SQLite, Chroma, Presidio, MiniLM, ledger, cost controls. Each benchmark then
puts the assistant over a provider set whose only model entry is a local fake OpenAI server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.bench.kb_cache import Progress, ensure_kb, link_kb

if TYPE_CHECKING:
    from app.assistant import Assistant
    from app.runtime import Runtime
    from providers import LocalResponder
    from providers.factory import ProviderSet

KEY_ENV = "DESKPILOT_BENCH_OPENAI_KEY"
RATE_LIMIT_PER_MINUTE = 10_000_000
# The fake server answers every call; the bulkhead is sized for the largest session count run.
MAX_IN_FLIGHT = 1024
_BUDGETS = """version: 1
limits_usd: {user_day: "1000000", team_day: "1000000", conversation: "1000000"}
low_share: 0.2
teams: {default: support, by_role: {agent: support, customer: customers}}
"""


@dataclass(frozen=True, slots=True)
class BenchEnv:
    """A built runtime, the demo customers to talk about, and its local responder."""

    runtime: Runtime
    customers: list[str]
    local: LocalResponder
    chunks: int


@contextmanager
def bench_environment(
    *, chunks: int, cache_root: Path, sample: int, progress: Progress
) -> Iterator[BenchEnv]:
    """A runtime over a temporary data dir with a ``chunks``-chunk knowledge base."""
    from sqlmodel import col, select

    from app.runtime import build_runtime, open_database
    from app.seed import seed_crm
    from app.settings import load_settings
    from context.crm_tables import Customer
    from providers import LocalResponder

    kb_dir = ensure_kb(cache_root, chunks, sample=sample, progress=progress)
    root = Path(tempfile.mkdtemp(prefix="deskpilot-bench-run-"))
    try:
        link_kb(kb_dir, root)
        (root / "budgets.yaml").write_text(_BUDGETS, encoding="utf-8")
        settings = load_settings(
            data_dir=root,
            database_url=None,
            redis_url=None,
            chroma_url=None,
            providers_file=None,
            budgets_file=root / "budgets.yaml",
            rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
            local_stream_delay_s=0.0,
        )
        progress("seeding the demo CRM")
        seed_crm(open_database(settings))
        progress("loading the runtime (spaCy, MiniLM, Chroma)")
        runtime = build_runtime(settings)
        with runtime.session_factory() as session:
            customers = list(session.exec(select(Customer.id).order_by(col(Customer.id))).all())
        local = next(
            a for a in runtime.assistant.providers.adapters if isinstance(a, LocalResponder)
        )
        yield BenchEnv(runtime, customers, local, chunks)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_config(base_url: str, *, serve_before_call: bool = False) -> dict[str, Any]:
    """A provider configuration: one OpenAI entry on ``base_url``, then the local responder."""
    return {
        "version": 1,
        "models": [
            {
                "name": "openai-standard",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "tier": "standard",
                "context_window": 128000,
                "api_key_env": KEY_ENV,
                "base_url": base_url,
                "max_in_flight": MAX_IN_FLIGHT,
            },
            {"name": "local", "provider": "local", "model": "local-responder", "tier": "economy"},
        ],
        "tasks": {
            "agent_reply": "standard",
            "customer_reply": "standard",
            "triage": "economy",
            "summary": "economy",
        },
        "cache": {"serve_before_call": serve_before_call},
    }


def bench_assistant(
    env: BenchEnv, base_url: str, *, serve_before_call: bool = False
) -> tuple[Assistant, ProviderSet]:
    """The runtime's assistant over a fresh provider set on the fake server at ``base_url``."""
    from providers.config import ProviderConfig
    from providers.factory import build_provider_set
    from providers.routing import Router
    from providers.state import InProcessStore

    # The fake server ignores the key; the entry needs one to be enabled.
    os.environ.setdefault(KEY_ENV, "bench-key")
    config = ProviderConfig.model_validate(
        bench_config(base_url, serve_before_call=serve_before_call)
    )
    providers = build_provider_set(
        config, store=InProcessStore(), local=env.local, embed=env.runtime.embed_query
    )
    return env.runtime.assistant.with_providers(providers, Router(config)), providers


async def close_providers(providers: ProviderSet) -> None:
    """Close the HTTP clients of a provider set's adapters."""
    for adapter in providers.adapters:
        closer = getattr(adapter, "aclose", None)
        if closer is not None:
            await closer()

"""Shared fixtures: one seeded data directory and one runtime for the whole session.

Seeding embeds the demo knowledge base and building the runtime loads spaCy and MiniLM, which take
seconds; tests that need them share these session fixtures and work on their own conversations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.offline import enforce_offline

enforce_offline()

# The real Redis fixtures (redis_client, namespace) for every test module.
pytest_plugins = ["tests.redis_fixtures"]

DEMO_CUSTOMER = "CUS-10001"


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings over a data directory holding the demo company and its embedded knowledge base."""
    from app.runtime import open_database
    from app.seed import seed_crm, seed_knowledge
    from app.settings import load_settings

    data_dir = tmp_path_factory.mktemp("data")
    # One runtime serves every test's turns within a minute or two: no per-user request limit.
    settings = load_settings(
        data_dir=data_dir,
        local_stream_delay_s=0.0,
        openai_api_key=None,
        rate_limit_per_minute=1_000_000,
    )
    database = open_database(settings)
    seed_crm(database)
    seed_knowledge(settings)
    return settings


@pytest.fixture(scope="session")
def runtime(seeded_settings):  # type: ignore[no-untyped-def]
    """The full runtime (local responder only) over the seeded data."""
    from app.runtime import build_runtime

    return build_runtime(seeded_settings)


@pytest.fixture()
def fake_openai() -> Iterator[object]:
    """A fake OpenAI-compatible server on loopback, recording every request body."""
    from tests.fakes.openai_server import run_fake_openai

    with run_fake_openai() as fake:
        yield fake


@pytest.fixture(scope="session")
def cli_env(seeded_settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for running the ``deskpilot`` command against the seeded data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DESKPILOT_"))}
    env["DESKPILOT_DATA_DIR"] = str(Path(seeded_settings.data_dir))
    env["DESKPILOT_LOCAL_STREAM_DELAY_S"] = "0"
    return env


@pytest.fixture(scope="session")
def live_app(seeded_settings, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real Chainlit app in a subprocess over the seeded data, with a known agent login."""
    from app.runtime import open_database
    from app.users import add_user
    from tests.browser_app import start_live_app

    def prepare(_tmp: Path) -> dict[str, str]:
        database = open_database(seeded_settings)
        password = "browser-test-password"
        add_user(database.sessions, username="browser-agent", password=password, role="agent")
        add_user(database.sessions, username="browser-super", password=password, role="supervisor")
        add_user(
            database.sessions,
            username="browser-customer",
            password=password,
            role="customer",
            customer_id=DEMO_CUSTOMER,
        )
        with database.sessions() as session:
            from context.crm_tables import Customer

            customer = session.get(Customer, DEMO_CUSTOMER)
            assert customer is not None
        return {
            "agent_username": "browser-agent",
            "agent_password": password,
            "customer_id": customer.id,
            "customer_name": customer.name,
            "supervisor_username": "browser-super",
            "supervisor_password": password,
            "customer_username": "browser-customer",
            "customer_password": password,
            "DESKPILOT_DATA_DIR": str(seeded_settings.data_dir),
            "DESKPILOT_LOCAL_STREAM_DELAY_S": "0.01",
            # The offline responder only, whatever an earlier test left in the environment.
            "OPENAI_API_KEY": "",
            "ANTHROPIC_API_KEY": "",
        }

    with start_live_app(tmp_path_factory.mktemp("live"), prepare) as app:
        yield app

"""A scale-mode stack for integration tests: PostgreSQL, Redis, a Chroma server and two app
processes sharing them, with the fake OpenAI server as the only model provider.

`run_scale_stack(tmp_dir)` creates a fresh database ``deskpilot_it_<hex>``, flushes a dedicated
Redis database, starts ``chroma run`` on a free port, seeds the demo company into PostgreSQL and
Chroma with ``deskpilot seed-demo``, starts two Chainlit processes with the same environment (auth
secret, data directory, providers file), yields a `ScaleStack`, and tears everything down: the
processes, the Redis database and the PostgreSQL database. A missing service skips the tests on a
laptop and fails them in CI (``CI=true``), as in ``tests/redis_fixtures.py``.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

from app.bench.fake_openai_server import FakeOpenAI, Reply, run_fake_openai
from app.scale_mode import (
    ScalePlan,
    Stack,
    drop_database,
    ensure_database,
    flush_redis,
    wait_http,
)
from tests.browser_app import OFFLINE_ENV, free_port

if TYPE_CHECKING:
    from app.runtime import Database
    from app.storage.database import SessionFactory

PG_ADMIN_URL = os.environ.get("DESKPILOT_IT_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_IT_URL = os.environ.get("DESKPILOT_IT_REDIS", "redis://127.0.0.1:6379/11")
CHROMA_BIN = Path(sys.executable).parent / "chroma"
RATE_LIMIT_PER_MINUTE = 6
OPENAI_ENTRY = "openai-standard"
KEY_VARIABLE = "DESKPILOT_IT_OPENAI_KEY"
FAKE_ANSWER = "Refunds are issued to the original payment method within five business days."
APP_START_TIMEOUT_S = 180.0
SEED_TIMEOUT_S = 240.0
# Variables of the developer's shell that would point the processes elsewhere.
_FOREIGN = ("OPENAI_", "ANTHROPIC_", "DESKPILOT_", "CHAINLIT_")
_SERVICES = ("DATABASE_URL", "REDIS_URL", "CHROMA_URL")

# One model entry on the fake server, and settings that make failures quick to provoke: no
# retries, the breaker opens at the first failure and stays open for the rest of a test, and
# identical questions in the same scope are answered from the exact cache before any call.
PROVIDERS_YAML = """\
version: 1
models:
  - name: {entry}
    provider: openai
    model: gpt-4o-mini
    tier: standard
    api_key_env: {key_variable}
    base_url: {base_url}
    timeouts: {{connect_s: 2, first_token_s: 10, stall_s: 10, total_s: 20}}
  - name: local
    provider: local
    model: local-responder
    tier: economy
    context_window: 8192
tasks: {{agent_reply: standard, customer_reply: standard, triage: economy, summary: economy}}
retry: {{max_attempts: 1, base_delay_s: 0, max_delay_s: 0, retry_after_cap_s: 0}}
breaker: {{failure_threshold: 1, window_s: 60, open_s: 120}}
cache: {{exact_ttl_s: 600, serve_before_call: true}}
"""


@dataclass(frozen=True, slots=True)
class AppProcess:
    """One Chainlit process of the stack."""

    name: str
    url: str
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's output, for failure messages."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no output)"

    def metric(self, name: str, labels: str = "") -> float:
        """A sample of this process's own ``/metrics`` (0 when not exported yet)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.url}/metrics", timeout=5) as response:
            text = response.read().decode("utf-8")
        selector = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "")
        found = re.search(rf"^{selector} ([0-9.eE+-]+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    def turns(self) -> int:
        """Turns this process has run (the turn-duration histogram's count)."""
        return int(self.metric("deskpilot_turn_seconds_count"))


@dataclass(frozen=True, slots=True)
class ScaleStack:
    """The running stack: two app processes, the shared services, the fake model server."""

    a: AppProcess
    b: AppProcess
    database_url: str
    redis_url: str
    chroma_url: str
    data_dir: Path
    fake: FakeOpenAI
    sessions: SessionFactory

    def redis(self) -> redis.Redis:
        """A client of the stack's Redis database (close it after use)."""
        return redis.Redis.from_url(self.redis_url)

    def add_user(self, username: str, role: str = "agent") -> str:
        """Create a user in the stack's PostgreSQL database; returns the password."""
        from app.users import add_user

        password = f"pw-{secrets.token_hex(8)}"
        add_user(self.sessions, username=username, password=password, role=role)
        return password


def unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere: CI must never pass by skipping the scale tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def _check_services() -> None:
    import psycopg

    try:
        psycopg.connect(_pg_dsn("postgres"), connect_timeout=3).close()
    except psycopg.OperationalError:
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    client = redis.Redis.from_url(REDIS_IT_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        unavailable(f"Redis not reachable at {REDIS_IT_URL}")
    finally:
        client.close()
    if not CHROMA_BIN.exists():
        unavailable(f"the Chroma server command is missing: {CHROMA_BIN}")


def _pg_dsn(database: str) -> str:
    """A libpq URL of ``database`` on the test server (psycopg does not take "+psycopg")."""
    return f"{PG_ADMIN_URL.replace('+psycopg', '')}/{database}"


def _process_env() -> dict[str, str]:
    """The environment both app processes (and the seeding step) share, services aside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN) and k not in _SERVICES}
    env |= OFFLINE_ENV
    env |= {
        KEY_VARIABLE: "sk-integration-test",
        "CHAINLIT_AUTH_SECRET": secrets.token_urlsafe(48),
        "DESKPILOT_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
        "DESKPILOT_LOCAL_STREAM_DELAY_S": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return env


def _open_database(plan: ScalePlan) -> Database:
    """The test's own connection to the stack's (already migrated) database."""
    from app.runtime import open_database
    from app.settings import load_settings

    return open_database(load_settings(data_dir=plan.data_dir, database_url=plan.database_url))


def _seed(plan: ScalePlan) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "seed-demo"],
        cwd=Path(__file__).resolve().parent.parent,
        env=plan.service_env(),
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:  # its stdout lists demo passwords: show only the error output
        raise RuntimeError(f"seed-demo failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def _alive(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: process.poll() is None


def _start_apps(stack: Stack, plan: ScalePlan) -> tuple[AppProcess, AppProcess]:
    """Start both processes at once, then wait for both (each loads its models, ~20 s)."""
    apps: list[AppProcess] = []
    waits: list[tuple[str, subprocess.Popen[bytes]]] = []
    for name, port in zip(("app-a", "app-b"), plan.app_ports, strict=True):
        argv = [sys.executable, "-m", "chainlit", "run", "app/main.py", "--headless"]
        process = stack.start(name, [*argv, "--host", "127.0.0.1", "--port", str(port)])
        url = f"http://127.0.0.1:{port}"
        apps.append(AppProcess(name, url, plan.run_dir / f"{name}.log"))
        waits.append((url, process))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(wait_http, url + "/", APP_START_TIMEOUT_S, _alive(process))
            for url, process in waits
        ]
        for app, future in zip(apps, futures, strict=True):
            try:
                future.result()
            except Exception as exc:
                raise RuntimeError(f"{app.name} did not start: {exc}\n{app.log_tail()}") from exc
    return apps[0], apps[1]


@contextmanager
def run_scale_stack(tmp_dir: Path) -> Iterator[ScaleStack]:
    """Start the whole stack for the block, then remove every trace of it."""
    _check_services()
    database = f"deskpilot_it_{secrets.token_hex(4)}"
    database_url = f"{PG_ADMIN_URL}/{database}"
    with ExitStack() as cleanup:
        fake = cleanup.enter_context(run_fake_openai(Reply(FAKE_ANSWER)))
        providers_file = tmp_dir / "providers.yaml"
        providers_file.write_text(
            PROVIDERS_YAML.format(
                entry=OPENAI_ENTRY, key_variable=KEY_VARIABLE, base_url=fake.base_url
            ),
            encoding="utf-8",
        )
        env = _process_env() | {"DESKPILOT_PROVIDERS_FILE": str(providers_file)}
        plan = ScalePlan(
            data_dir=tmp_dir / "data",
            host="127.0.0.1",
            port=0,
            app_ports=(free_port(), free_port()),
            chroma_port=free_port(),
            database_url=database_url,
            redis_url=REDIS_IT_URL,
            env=env,
        )
        flush_redis(REDIS_IT_URL)
        cleanup.callback(flush_redis, REDIS_IT_URL)
        ensure_database(database_url)
        cleanup.callback(drop_database, database_url)
        stack = Stack(plan)
        cleanup.callback(stack.stop)
        chroma_argv = [str(CHROMA_BIN), "run", "--path", str(tmp_dir / "chroma")]
        chroma = stack.start("chroma", [*chroma_argv, "--port", str(plan.chroma_port)])
        wait_http(f"{plan.chroma_url}/api/v2/heartbeat", 60, _alive(chroma))
        _seed(plan)
        a, b = _start_apps(stack, plan)
        database_handle = _open_database(plan)
        cleanup.callback(database_handle.engine.dispose)
        yield ScaleStack(
            a=a,
            b=b,
            database_url=database_url,
            redis_url=REDIS_IT_URL,
            chroma_url=plan.chroma_url,
            data_dir=plan.data_dir,
            fake=fake,
            sessions=database_handle.sessions,
        )

"""The stack ``deskpilot bench processes`` measures: services once, app processes per round.

`bench_stack` creates a fresh PostgreSQL database ``deskpilot_bench_<hex>``, flushes a Redis
database, starts ``chroma run`` on a free port and the timed fake OpenAI server in a child
process, seeds the demo company with ``deskpilot seed-demo``, and adds one agent user per
simulated session. `BenchStack.apps(n)` then starts ``n`` app processes (``deskpilot serve``),
yields their URLs and stops them. Everything is removed afterwards: the processes, the Redis
database and the PostgreSQL database. Limits are raised for the bench (see `RAISED_LIMITS`).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.bench.timed_server import timed_openai_process
from app.errors import DeskpilotError
from app.scale_mode import (
    PROJECT_ROOT,
    ScalePlan,
    Stack,
    deskpilot_argv,
    drop_database,
    ensure_database,
    flush_redis,
    wait_http,
)

PG_ADMIN_URL = os.environ.get("DESKPILOT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_BENCH_URL = os.environ.get("DESKPILOT_BENCH_REDIS", "redis://127.0.0.1:6379/12")
CHROMA_BIN = Path(sys.executable).parent / "chroma"
KEY_VARIABLE = "DESKPILOT_BENCH_OPENAI_KEY"
RATE_LIMIT_PER_MINUTE = 10_000_000
MAX_IN_FLIGHT = 1024
APP_START_TIMEOUT_S = 180.0
SEED_TIMEOUT_S = 300.0
RAISED_LIMITS = (
    f"per-user rate limit raised to {RATE_LIMIT_PER_MINUTE:,}/min, budgets to $1,000,000, "
    f"the provider bulkhead to {MAX_IN_FLIGHT} calls in flight, exact cache not served before "
    "the call (every turn asks the model)"
)
# Variables of the caller's shell that would point the processes elsewhere.
_FOREIGN = ("OPENAI_", "ANTHROPIC_", "DESKPILOT_", "CHAINLIT_")
_SERVICES = ("DATABASE_URL", "REDIS_URL", "CHROMA_URL")
_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "ANONYMIZED_TELEMETRY": "False",
}
_PROVIDERS_YAML = """\
version: 1
models:
  - name: openai-standard
    provider: openai
    model: gpt-4o-mini
    tier: standard
    context_window: 128000
    api_key_env: {key_variable}
    base_url: {base_url}
    max_in_flight: {max_in_flight}
  - name: local
    provider: local
    model: local-responder
    tier: economy
    context_window: 8192
tasks: {{agent_reply: standard, customer_reply: standard, triage: economy, summary: economy}}
cache: {{serve_before_call: false}}
"""
_BUDGETS_YAML = """\
version: 1
limits_usd: {user_day: "1000000", team_day: "1000000", conversation: "1000000"}
low_share: 0.2
teams: {default: support, by_role: {agent: support, customer: customers}}
"""

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class BenchUser:
    """An agent account of one simulated session."""

    username: str
    password: str


class BenchStack:
    """The running services, the users and customers to talk as and about, and app rounds."""

    def __init__(
        self, plan: ScalePlan, users: list[BenchUser], customers: list[str], progress: Progress
    ) -> None:
        self.plan = plan
        self.users = users
        self.customers = customers
        self.progress = progress
        self._round = 0

    @contextmanager
    def apps(self, count: int) -> Iterator[list[str]]:
        """Start ``count`` app processes together; yield their URLs; stop them after."""
        self._round += 1
        ports = [free_port() for _ in range(count)]
        stack = Stack(self.plan)
        started: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
        try:
            for index, port in enumerate(ports, start=1):
                name = f"round{self._round}-app{index}"
                process = stack.start(name, deskpilot_argv("serve", "--port", str(port)))
                started.append((name, self.plan.run_dir / f"{name}.log", process))
            self.progress(f"starting {count} app process(es)")
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            _wait_all(urls, started)
            yield urls
        finally:
            stop_quietly(stack)

    def log_tails(self, chars: int = 2000) -> str:
        """The end of every app log of this run, for failure messages."""
        parts = []
        for log in sorted(self.plan.run_dir.glob("round*-app*.log")):
            text = log.read_text(encoding="utf-8", errors="replace")[-chars:]
            parts.append(f"--- {log.name} ---\n{text}")
        return "\n".join(parts)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_all(urls: list[str], started: list[tuple[str, Path, subprocess.Popen[bytes]]]) -> None:
    """Wait for every app's /health at once (each loads its models, ~20 s)."""
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        futures = [
            pool.submit(wait_http, f"{url}/health", APP_START_TIMEOUT_S, _alive(process))
            for url, (_n, _l, process) in zip(urls, started, strict=True)
        ]
        for (name, log, _p), future in zip(started, futures, strict=True):
            try:
                future.result()
            except DeskpilotError as exc:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise DeskpilotError(f"{name} did not start: {exc}\n{tail}") from exc


def _alive(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: process.poll() is None


def stop_quietly(stack: Stack) -> None:
    """`Stack.stop`, then give Ctrl-C back (stop ignores it so a repeat leaves no orphans)."""
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        stack.stop()
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])


def _process_env(providers_file: Path, budgets_file: Path) -> dict[str, str]:
    """The environment every app process (and the seeding step) shares, services aside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN) and k not in _SERVICES}
    return (
        env
        | _OFFLINE_ENV
        | {
            KEY_VARIABLE: "sk-bench",  # the fake server ignores it; the entry needs one
            "CHAINLIT_AUTH_SECRET": secrets.token_urlsafe(48),
            "DESKPILOT_PROVIDERS_FILE": str(providers_file),
            "DESKPILOT_BUDGETS_FILE": str(budgets_file),
            "DESKPILOT_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
            "DESKPILOT_LOCAL_STREAM_DELAY_S": "0",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )


def _seed(plan: ScalePlan) -> None:
    done = subprocess.run(
        deskpilot_argv("seed-demo"),
        cwd=PROJECT_ROOT,
        env=plan.service_env(),
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:  # its stdout lists demo passwords: show only the error output
        raise DeskpilotError(f"seed-demo failed (exit {done.returncode}):\n{done.stderr[-3000:]}")


def _add_users(plan: ScalePlan, count: int) -> tuple[list[BenchUser], list[str]]:
    """One agent per session, and the demo customers' ids."""
    from sqlmodel import col, select

    from app.runtime import open_database
    from app.settings import load_settings
    from app.users import add_user
    from context.crm_tables import Customer

    settings = load_settings(data_dir=plan.data_dir, database_url=plan.database_url)
    database = open_database(settings)
    try:
        users = [BenchUser(f"bench-{i + 1}", f"pw-{secrets.token_hex(8)}") for i in range(count)]
        for user in users:
            add_user(
                database.sessions, username=user.username, password=user.password, role="agent"
            )
        with database.sessions() as session:
            customers = list(session.exec(select(Customer.id).order_by(col(Customer.id))).all())
    finally:
        database.engine.dispose()
    if not customers:
        raise DeskpilotError("seed-demo left no customers in the bench database")
    return users, customers


@contextmanager
def bench_stack(*, sessions: int, ttft_ms: float, progress: Progress) -> Iterator[BenchStack]:
    """Start the services for the block, then remove every trace of them."""
    if not CHROMA_BIN.exists():
        raise DeskpilotError(f"the Chroma server command is missing: {CHROMA_BIN}")
    database = f"deskpilot_bench_{secrets.token_hex(4)}"
    database_url = f"{PG_ADMIN_URL}/{database}"
    with ExitStack() as cleanup:
        tmp_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="dp-bench-")))
        base_url = cleanup.enter_context(timed_openai_process(ttft_ms))
        providers_file, budgets_file = tmp_dir / "providers.yaml", tmp_dir / "budgets.yaml"
        providers_file.write_text(
            _PROVIDERS_YAML.format(
                key_variable=KEY_VARIABLE, base_url=base_url, max_in_flight=MAX_IN_FLIGHT
            ),
            encoding="utf-8",
        )
        budgets_file.write_text(_BUDGETS_YAML, encoding="utf-8")
        plan = ScalePlan(
            data_dir=tmp_dir / "data",
            host="127.0.0.1",
            port=0,
            app_ports=(),
            chroma_port=free_port(),
            database_url=database_url,
            redis_url=REDIS_BENCH_URL,
            env=_process_env(providers_file, budgets_file),
        )
        flush_redis(REDIS_BENCH_URL)
        cleanup.callback(flush_redis, REDIS_BENCH_URL)
        ensure_database(database_url)
        cleanup.callback(drop_database, database_url)
        services = Stack(plan)
        cleanup.callback(stop_quietly, services)
        progress("starting the Chroma server")
        chroma = services.start(
            "chroma",
            [
                str(CHROMA_BIN),
                "run",
                "--path",
                str(tmp_dir / "chroma"),
                "--port",
                f"{plan.chroma_port}",
            ],
        )
        wait_http(f"{plan.chroma_url}/api/v2/heartbeat", 60, _alive(chroma))
        progress("seeding the demo company (PostgreSQL, Chroma)")
        _seed(plan)
        users, customers = _add_users(plan, sessions)
        yield BenchStack(plan, users, customers, progress)

"""`deskpilot scale`: several app processes behind nginx, on PostgreSQL, Redis and a Chroma server.

The launcher is what `make run-scale` runs on one machine; a real deployment has the same shape
with each piece on its own host (README "Scale mode"). Everything shared lives in the services:
conversations and the ledger in PostgreSQL; cache, rate limits, breaker state and budget
reservations in Redis; the vector store in Chroma. The data directory only holds the generated
secrets (every app process must share them) and the keyword index.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from app.errors import DeskpilotError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/deskpilot"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class ScalePlan:
    """Where each piece of the scale-mode stack listens."""

    data_dir: Path
    host: str
    port: int
    app_ports: tuple[int, ...]
    chroma_port: int
    database_url: str
    redis_url: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def chroma_url(self) -> str:
        """The Chroma server's URL."""
        return f"http://127.0.0.1:{self.chroma_port}"

    @property
    def run_dir(self) -> Path:
        """Pid, logs and temp files of this launch."""
        return self.data_dir / "scale"

    def service_env(self) -> dict[str, str]:
        """The environment every process of the stack gets."""
        return {
            **self.env,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CHROMA_URL": self.chroma_url,
            "DESKPILOT_DATA_DIR": str(self.data_dir.resolve()),
        }


def make_plan(
    data_dir: Path,
    *,
    apps: int,
    port: int,
    host: str = "127.0.0.1",
    env: dict[str, str] | None = None,
) -> ScalePlan:
    """The plan: services from DATABASE_URL and REDIS_URL, else this machine's."""
    if apps < 1:
        raise DeskpilotError("--apps must be at least 1.")
    env = dict(os.environ if env is None else env)
    return ScalePlan(
        data_dir=data_dir,
        host=host,
        port=port,
        app_ports=tuple(port + 21 + i for i in range(apps)),
        chroma_port=port + 11,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
        env=env,
    )


def render_nginx(plan: ScalePlan, template: str | None = None) -> str:
    """The nginx configuration for the plan."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8") if template is None else template
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1;" for p in plan.app_ports)
    return text.format(
        run_dir=plan.run_dir.resolve(), host=plan.host, port=plan.port, upstream_servers=servers
    )


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database of the URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    url = make_url(database_url)
    if not url.drivername.startswith("postgresql") or not url.database:
        return
    admin = url.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
            ).fetchone()
            if found is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
    except psycopg.OperationalError as exc:
        raise DeskpilotError(f"PostgreSQL at {url.host}:{url.port} does not answer: {exc}") from exc


def drop_database(database_url: str) -> None:
    """Drop the PostgreSQL database of the URL (its sessions closed first), if it exists."""
    import psycopg
    from psycopg import sql

    url = make_url(database_url)
    if not url.database:
        return
    admin = url.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database))
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(drop)


def flush_redis(url: str) -> None:
    """Empty the Redis database of the URL (a stack's own DB number, never a shared one)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        raise DeskpilotError(f"Redis not reachable at {url}: {exc}") from exc
    finally:
        client.close()


def wait_http(url: str, timeout_s: float, alive: Callable[[], bool]) -> None:
    """Wait for HTTP 200 at ``url`` while ``alive()``; raise with the URL on timeout or death."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise DeskpilotError(f"the process serving {url} exited; see its log in data/scale/")
        try:
            with opener.open(url, timeout=2) as response:
                if int(response.status) == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    raise DeskpilotError(f"{url} did not answer within {timeout_s:.0f} s")


def app_root(directory: Path) -> Path:
    """A Chainlit app root of one process's own: the project's config, its own ``.files``.

    Chainlit deletes ``<root>/.files`` when a process stops, which would pull the uploads out
    from under every other process sharing the root.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name in (".chainlit", "chainlit.md", "public"):
        source, link = PROJECT_ROOT / name, directory / name
        if source.exists() and not link.is_symlink():
            link.symlink_to(source, target_is_directory=source.is_dir())
    return directory


class Stack:
    """The processes of one launch; stopping it stops them all, newest first."""

    def __init__(self, plan: ScalePlan) -> None:
        self.plan = plan
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        plan.run_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        """Start one process with the stack's environment, its output in run_dir/<name>.log."""
        log = (self.plan.run_dir / f"{name}.log").open("ab")
        root = app_root(self.plan.run_dir / f"{name}-root")
        process = subprocess.Popen(
            list(argv),
            cwd=PROJECT_ROOT,
            env={**self.plan.service_env(), "CHAINLIT_APP_ROOT": str(root.resolve())},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def run(self, name: str, argv: Sequence[str]) -> None:
        """Run one step to completion; its failure stops the launch with the log's name."""
        done = subprocess.run(
            list(argv), cwd=PROJECT_ROOT, env=self.plan.service_env(), check=False
        )
        if done.returncode != 0:
            raise DeskpilotError(f"`{' '.join(argv[1:])}` failed (exit {done.returncode})")

    def stop(self) -> None:
        """SIGTERM everything, then SIGKILL what is still running after 15 s."""
        # A second Ctrl-C (or the TERM a supervisor repeats) must not leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def first_exited(self) -> str | None:
        """The name of a process that has exited, if any."""
        return next((n for n, p in self.processes if p.poll() is not None), None)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _alive(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: process.poll() is None


def deskpilot_argv(*args: str) -> list[str]:
    """The ``deskpilot`` command in this interpreter."""
    return [sys.executable, "-m", "app.cli", *args]


def launch(plan: ScalePlan, *, say: Callable[[str], None] = print) -> int:
    """Start Chroma, seed, start the app processes and nginx; run until interrupted."""
    from app.runtime import knowledge_dir
    from app.settings import load_settings

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the stack like Ctrl-C does
    if not Path(nginx).exists():
        raise DeskpilotError("nginx is missing: `make nginx` installs Debian's package.")
    ensure_database(plan.database_url)
    stack = Stack(plan)
    try:
        chroma = stack.start(
            "chroma",
            [
                str(Path(sys.executable).parent / "chroma"),
                "run",
                "--path",
                str((plan.data_dir / "chroma-server").resolve()),
                "--port",
                str(plan.chroma_port),
            ],
        )
        wait_http(f"{plan.chroma_url}/api/v2/heartbeat", 60, _alive(chroma))
        say(f"Chroma server on {plan.chroma_url}")
        stack.run("seed", deskpilot_argv("seed-demo", "--if-empty"))
        # The Chroma server may be new while PostgreSQL already holds the company: ingest is
        # idempotent (unchanged files are skipped), so it runs every time.
        stack.run("ingest", deskpilot_argv("ingest", str(knowledge_dir(load_settings()))))
        apps = [  # started together: each loads its models while the others do
            stack.start(f"app{index}", deskpilot_argv("serve", "--port", str(app_port)))
            for index, app_port in enumerate(plan.app_ports, start=1)
        ]
        for index, (app, app_port) in enumerate(zip(apps, plan.app_ports, strict=True), start=1):
            wait_http(f"http://127.0.0.1:{app_port}/health", START_TIMEOUT_S, _alive(app))
            say(f"app process {index} on 127.0.0.1:{app_port}")
        conf = plan.run_dir / "nginx.conf"
        conf.write_text(render_nginx(plan), encoding="utf-8")
        stack.start("nginx", [nginx, "-c", str(conf.resolve()), "-g", "daemon off;"])
        wait_http(
            f"http://{plan.host}:{plan.port}/health", 30, lambda: stack.first_exited() is None
        )
        count = len(plan.app_ports)
        say(f"Deskpilot (scale mode, {count} processes) on http://{plan.host}:{plan.port}")
        while (exited := stack.first_exited()) is None:
            time.sleep(1)
        say(f"{exited} exited; stopping the stack (logs in {plan.run_dir})")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()

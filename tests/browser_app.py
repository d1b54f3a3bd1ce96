"""Run the real Chainlit app in a subprocess for browser tests.

`start_live_app(tmp_dir, prepare)` calls `prepare(tmp_dir)`, which seeds a data directory and
returns a dict holding the four credentials keys below plus any environment variables the server
needs (e.g. ``DESKPILOT_DATA_DIR``). It then starts ``python -m chainlit run app/main.py`` from the
repository root on a free loopback port, waits for HTTP 200 on ``/`` (the start-up hook builds the
runtime before the server answers), yields a `LiveApp`, and stops the server.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.scale_mode import app_root

REPO_ROOT = Path(__file__).resolve().parent.parent
CREDENTIAL_KEYS = ("agent_username", "agent_password", "customer_id", "customer_name")
# Further logins a prepare() may return (supervisor, customer), empty when it does not.
OPTIONAL_KEYS = (
    "supervisor_username",
    "supervisor_password",
    "customer_username",
    "customer_password",
)
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "ANONYMIZED_TELEMETRY": "False",
}
START_TIMEOUT_S = 120.0
LOG_TAIL_CHARS = 4000


@dataclass(frozen=True, slots=True)
class LiveApp:
    """A running Deskpilot server and the demo credentials to use it."""

    url: str
    agent_username: str
    agent_password: str
    customer_id: str
    customer_name: str
    log_path: Path
    supervisor_username: str = ""
    supervisor_password: str = ""
    customer_username: str = ""
    customer_password: str = ""

    def log_tail(self) -> str:
        """The end of the server's output, for failure messages."""
        return _tail(self.log_path)


def _tail(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    except FileNotFoundError:
        return "(no server output)"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_ok(url: str) -> bool:
    # No proxy: a proxy from the environment must not intercept loopback requests.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Deskpilot exited with code {process.returncode} before answering.\n"
                f"--- server output (tail) ---\n{_tail(log_path)}"
            )
        if _answers_ok(url + "/"):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"Deskpilot did not answer HTTP 200 on {url}/ within {timeout_s:.0f} s.\n"
        f"--- server output (tail) ---\n{_tail(log_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: reaches reloader children too
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def start_live_app(
    tmp_dir: Path,
    prepare: Callable[[Path], dict[str, str]],
    *,
    timeout_s: float = START_TIMEOUT_S,
) -> Iterator[LiveApp]:
    """Seed with `prepare`, serve the app on a free port, yield it, then stop it."""
    prepared = dict(prepare(tmp_dir))
    missing = [key for key in CREDENTIAL_KEYS if not prepared.get(key)]
    if missing:
        raise ValueError(f"prepare() must return {', '.join(missing)}")
    credentials = {key: prepared.pop(key) for key in CREDENTIAL_KEYS}
    credentials |= {key: prepared.pop(key) for key in OPTIONAL_KEYS if key in prepared}
    env = {**os.environ, **OFFLINE_ENV, **prepared}
    env.setdefault("CHAINLIT_AUTH_SECRET", secrets.token_urlsafe(48))
    # Its own app root: a stopping Chainlit deletes <root>/.files, which others may be using.
    env["CHAINLIT_APP_ROOT"] = str(app_root(tmp_dir / "app-root").resolve())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_dir / "chainlit-server.log"
    command = [sys.executable, "-m", "chainlit", "run", "app/main.py", "--headless"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(url, process, log_path, timeout_s)
            yield LiveApp(url=url, log_path=log_path, **credentials)
        finally:
            _stop(process)

"""The queue commands in subprocesses, as an operator runs them: ``deskpilot triage --queue``,
``deskpilot worker [--burst|--check]``, ``triage --queue-status``; a worker stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis

from app.settings import load_settings
from app.triage.queue import queue_name
from tests.queue_setup import no_keys, prefix, stored
from tests.redis_fixtures import REDIS_URL
from tests.triage_setup import TICKETS, small_crm

__all__ = ["no_keys", "prefix"]  # fixtures used by name
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DESKPILOT = [sys.executable, "-m", "app.cli"]
GRACE_LIMIT_S = 20


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DESKPILOT_"))}
    return {**env, "DESKPILOT_DATA_DIR": str(data_dir), "REDIS_URL": REDIS_URL}


def deskpilot(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DESKPILOT, *argv], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_commands_queue_run_and_report_in_subprocesses(tmp_path: Path, prefix: str) -> None:
    small_crm(tmp_path)
    env = cli_env(tmp_path)
    queued = deskpilot(
        "triage", "--all", "--queue", "--kind", "all", "--queue-prefix", prefix, env=env
    )
    assert queued.returncode == 0, queued.stderr
    assert "Queued 3 jobs" in queued.stderr and "deskpilot worker" in queued.stderr
    again = deskpilot(
        "triage", "--all", "--queue", "--kind", "all", "--json", "--queue-prefix", prefix, env=env
    )
    assert json.loads(again.stdout) == {
        "queue": queue_name(prefix),
        "tickets": 3,
        "queued": 0,
        "already_queued": 3,
        "already_done": 0,
    }
    worker = deskpilot("worker", "--burst", "--concurrency", "2", "--queue-prefix", prefix, env=env)
    assert worker.returncode == 0, worker.stderr
    assert "3 jobs complete, 0 failed" in worker.stderr
    answers = stored(load_settings(data_dir=tmp_path))
    assert answers == Counter(
        {(t, k): 1 for t in TICKETS for k in ("classification", "summary", "next_action")}
    )
    status = deskpilot("triage", "--queue-status", "--json", "--queue-prefix", prefix, env=env)
    assert json.loads(status.stdout)["complete"] == 3


def test_a_worker_stops_cleanly_on_sigterm_and_reports_health_while_running(
    tmp_path: Path, prefix: str, redis_client: redis.Redis
) -> None:
    small_crm(tmp_path)
    env = cli_env(tmp_path)
    worker = subprocess.Popen(
        [*DESKPILOT, "worker", "--queue-prefix", prefix],
        env=env,
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health_key = queue_name(prefix) + ":health-check"
        while not redis_client.exists(health_key):
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never reported its health"
            time.sleep(0.1)
        check = deskpilot("worker", "--check", "--queue-prefix", prefix, env=env)
        assert check.returncode == 0 and "j_complete=0" in check.stdout
        worker.terminate()  # SIGTERM
        _, err = worker.communicate(timeout=GRACE_LIMIT_S)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "Worker stopped: 0 jobs complete" in err
    assert not redis_client.exists(health_key)
    assert deskpilot("worker", "--check", "--queue-prefix", prefix, env=env).returncode == 1

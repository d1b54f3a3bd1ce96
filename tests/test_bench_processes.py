"""`deskpilot bench processes` end to end at tiny sizes, and its arithmetic.

The end-to-end test runs the real command (a subprocess, as a user would) on this machine's
PostgreSQL and Redis with a Chroma server and the timed fake model: one round with one app
process, one with two, four sessions, five seconds each (~65 s). It checks the JSON a
dashboard would read and that every turn got the model's answer. The figures themselves are not
asserted: a benchmark prints them (STYLE.md, practice 9).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import redis

from app.bench.process_bench import ProcessesResult, RoundResult, format_processes, percentile
from app.bench.process_stack import PG_ADMIN_URL, REDIS_BENCH_URL
from tests.browser_app import OFFLINE_ENV
from tests.scale_stack import unavailable

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"cpu": "test cpu", "cores": 2, "ram_gib": 4.0, "python": "3.11", "os": "Linux"}


def _require_services() -> None:
    try:
        psycopg.connect(
            f"{PG_ADMIN_URL.replace('+psycopg', '')}/postgres", connect_timeout=3
        ).close()
    except psycopg.OperationalError:
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    client = redis.Redis.from_url(REDIS_BENCH_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        unavailable(f"Redis not reachable at {REDIS_BENCH_URL}")
    finally:
        client.close()


def _bench_databases() -> set[str]:
    dsn = f"{PG_ADMIN_URL.replace('+psycopg', '')}/postgres"
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'deskpilot_bench_%'"
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_one_and_two_processes_answer_every_turn_and_report_the_ratio() -> None:
    _require_services()
    before = _bench_databases()
    argv = [sys.executable, "-m", "app.cli", "bench", "processes", "--apps", "1,2"]
    argv += ["--sessions", "4", "--duration", "5", "--ttft-ms", "100", "--json"]
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    figures = json.loads(done.stdout)

    assert [(r["apps"], r["sessions"], r["duration_s"]) for r in figures["rounds"]] == [
        (1, 4, 5.0),
        (2, 4, 5.0),
    ]
    for round_ in figures["rounds"]:
        assert round_["errors"] == 0, round_["error_kinds"]
        assert round_["turns"] >= 4  # every session answered at least once in the window
        assert round_["turns_per_s"] == round(round_["turns"] / 5.0, 3)
        assert 100 <= round_["latency"]["p50_ms"] <= round_["latency"]["p95_ms"]
    one, two = (r["turns_per_s"] for r in figures["rounds"])
    assert figures["ratio_2_vs_1"] == round(two / one, 3)
    assert figures["target_ratio"] == 1.7
    assert figures["met"] is (two / one >= 1.7)
    assert figures["errors"] == 0
    assert "rate limit raised" in figures["limits"]
    assert {"cpu", "cores", "load_1min", "quiet"} <= set(figures["machine"])
    assert figures["busy"] is not figures["machine"]["quiet"]
    assert _bench_databases() == before  # the bench's database is dropped


def _round(apps: int, turns: int, errors: Counter[str] | None = None) -> RoundResult:
    latencies = [float(100 + i) for i in range(turns)]
    return RoundResult(apps, 8, 10.0, latencies, errors or Counter())


def test_the_ratio_compares_two_processes_with_one_against_the_target() -> None:
    machine = {**QUIET, "load_1min": 0.1, "quiet": True}
    met = ProcessesResult([_round(1, 100), _round(2, 180)], 300.0, machine, 0.2)
    short = ProcessesResult([_round(1, 100), _round(2, 150)], 300.0, machine, 0.2)
    assert (met.ratio, met.as_dict()["met"]) == (1.8, True)
    assert (short.ratio, short.as_dict()["met"]) == (1.5, False)
    assert "1.80x (target >= 1.7x: met)" in format_processes(met)
    assert "1.50x (target >= 1.7x: NOT met)" in format_processes(short)
    assert "BUSY" not in format_processes(met)
    only_one = ProcessesResult([_round(1, 100)], 300.0, machine, 0.2)
    assert only_one.ratio is None and only_one.as_dict()["met"] is None


def test_a_busy_machine_and_errors_are_shown() -> None:
    busy = {**QUIET, "load_1min": 2.3, "quiet": False}
    errors = Counter({"turn: not the model's answer": 2})
    result = ProcessesResult([_round(1, 10, errors), _round(2, 20)], 300.0, busy, 2.5)
    text = format_processes(result)
    assert "BUSY machine: 1-min load 2.3" in text
    assert "not the model's answer" in text
    assert result.as_dict()["errors"] == 2 and result.as_dict()["busy"] is True


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile([], 95)) == (50, 95, 0)

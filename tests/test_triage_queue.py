"""Batch triage through the Redis queue (arq), in process: no duplicate jobs, a burst worker
stores each ticket once, provider failures are retried then recorded, a stop lets the running job
finish. The commands in subprocesses: test_triage_queue_cli.py."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from app.cli_triage import register as register_triage
from app.cli_worker import register as register_worker
from app.runtime import open_database
from app.settings import Settings, load_settings
from app.triage.caller import ModelReply, ProviderCaller
from app.triage.queue import (
    NEEDS_REDIS,
    QueueUnavailable,
    enqueue_triage,
    open_queue,
    queue_name,
    queue_status,
)
from app.triage.queue_job import QueueBackend, RaiseProviderErrors, RetryPolicy
from app.triage.service import TriageService
from app.triage.tickets import ticket_ids
from app.triage.worker import triage_worker, worker_settings
from prompts.library import load_library
from providers import LocalResponder, Message, ProviderUnavailable, RequestRejected
from tests.queue_setup import no_keys, prefix, stored
from tests.redis_fixtures import REDIS_URL
from tests.triage_setup import TICKETS, small_crm

__all__ = ["no_keys", "prefix"]  # fixtures used by name


@asynccontextmanager
async def queue_redis() -> AsyncIterator[ArqRedis]:
    """A connection of the test's own event loop (fixtures run on the session's)."""
    connection = await open_queue(REDIS_URL)
    try:
        yield connection
    finally:
        await connection.aclose(close_connection_pool=True)


def demo_copy(seeded: Settings, tmp_path: Path) -> Settings:
    """Settings over a private copy of the seeded demo database (the tests write triage rows)."""
    source = sqlite3.connect(Path(seeded.data_dir) / "deskpilot.db")
    target = sqlite3.connect(tmp_path / "deskpilot.db")
    with target:
        source.backup(target)
    with target:  # earlier tests of the session may have triaged tickets of the shared demo
        target.execute("DELETE FROM app_ticket_triage")
    source.close()
    target.close()
    return load_settings(data_dir=tmp_path, redis_url=REDIS_URL)


async def run_burst(options: dict[str, Any]) -> Worker:
    """Run an in-process worker until the queue is empty."""
    worker = triage_worker(options)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    return worker


def burst_options(settings: Settings, prefix: str, **extra: Any) -> dict[str, Any]:
    return worker_settings(
        settings, burst=True, prefix=prefix, handle_signals=False, poll_delay_s=0.02, **extra
    )


async def test_enqueuing_twice_adds_no_jobs_and_a_burst_worker_stores_each_ticket_once(
    seeded_settings: Settings, tmp_path: Path, prefix: str
) -> None:
    async with queue_redis() as connection:
        settings = demo_copy(seeded_settings, tmp_path)
        database = open_database(settings)
        with database.sessions() as session:
            ids = ticket_ids(session, open_only=True)
        queue = queue_name(prefix)
        assert len(ids) > 10

        first = await enqueue_triage(connection, queue, database.sessions, ids)
        again = await enqueue_triage(connection, queue, database.sessions, ids)
        assert (first.queued, first.already_queued) == (len(ids), 0)
        assert (again.queued, again.already_queued, again.already_done) == (0, len(ids), 0)
        assert await connection.zcard(queue) == len(ids)
        waiting = await queue_status(connection, queue)
        assert (waiting.queued, waiting.complete, waiting.failed) == (len(ids), 0, 0)

        worker = await run_burst(burst_options(settings, prefix, concurrency=8))
        assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (len(ids), 0, 0)
        answers = stored(settings)
        assert answers == Counter({(t, "classification"): 1 for t in ids})
        finished = await queue_status(connection, queue)
        assert (finished.queued, finished.in_progress, finished.complete) == (0, 0, len(ids))

        # Resumable like the in-process batch: done tickets are not queued again unless forced.
        done = await enqueue_triage(connection, queue, database.sessions, ids)
        assert (done.queued, done.already_done) == (0, len(ids))
        forced = await enqueue_triage(connection, queue, database.sessions, ids[:2], force=True)
        assert forced.queued == 2
        await run_burst(burst_options(settings, prefix))
        answers = stored(settings)
        assert [answers[(t, "classification")] for t in ids[:3]] == [2, 2, 1]
        database.engine.dispose()


class FlakyCaller:
    """The local responder, except that no provider answers about the tablet or the parcel."""

    def __init__(self) -> None:
        self.inner = ProviderCaller(LocalResponder())
        self.calls: Counter[str] = Counter()

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        text = " ".join(m.content for m in messages)
        if "tablet" in text:
            self.calls["tablet"] += 1
            raise ProviderUnavailable("503 from the fake", provider="fake", status=503)
        if "Parcel never came" in text:
            self.calls["parcel"] += 1
            raise RequestRejected("401 from the fake", provider="fake", status=401)
        return await self.inner(messages, task=task, prompt_ref=prompt_ref, scope=scope)


async def test_provider_errors_are_retried_then_failed_for_good_and_reported(
    tmp_path: Path,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with queue_redis() as connection:
        database = small_crm(tmp_path)
        settings = load_settings(data_dir=tmp_path, redis_url=REDIS_URL)
        caller = FlakyCaller()
        service = TriageService(
            database.sessions, RaiseProviderErrors(caller), load_library(), company="Acme"
        )
        queue = queue_name(prefix)
        ids = list(TICKETS)
        await enqueue_triage(connection, queue, database.sessions, ids)

        options = burst_options(
            settings,
            prefix,
            retry=RetryPolicy(tries=3, delay_s=0.01),
            build=lambda: QueueBackend(service, database.sessions),
        )
        worker = await run_burst(options)
        # The tablet is tried three times; a refused request is not worth a second try.
        assert caller.calls == {"tablet": 3, "parcel": 1}
        assert (worker.jobs_complete, worker.jobs_retried, worker.jobs_failed) == (1, 2, 2)
        assert stored(settings) == {("TCK-900003", "classification"): 1}  # no rules answer stored

        state = await queue_status(connection, queue)
        assert (state.queued, state.complete, state.failed) == (0, 1, 2)
        assert state.failures == [
            ("TCK-900001", "classification", "ProviderUnavailable on classification after 3 tries"),
            ("TCK-900002", "classification", "RequestRejected on classification after 1 try"),
        ]
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        status_argv = ["triage", "--queue-status", "--queue-prefix", prefix]
        # In a thread: the command runs its own event loop, as on the command line.
        assert await asyncio.to_thread(cli, status_argv, tmp_path) == 0
        out = capsys.readouterr().out
        assert f"{queue}: 0 queued, 0 in progress, 1 complete, 2 failed" in out
        assert "failed: TCK-900001 (classification): ProviderUnavailable" in out
        assert await asyncio.to_thread(cli, [*status_argv, "--json"], tmp_path) == 0
        shown = json.loads(capsys.readouterr().out)
        assert (shown["failed"], shown["failures"][1]["ticket"]) == (2, "TCK-900002")

        # Failed tickets are not lost: queueing the batch again queues exactly them.
        again = await enqueue_triage(connection, queue, database.sessions, ids)
        assert (again.queued, again.already_done) == (2, 1)
        assert (await queue_status(connection, queue)).queued == 2


class SlowCaller:
    """The local responder, taking its time, telling when the first call started."""

    def __init__(self) -> None:
        self.inner = ProviderCaller(LocalResponder())
        self.started = asyncio.Event()

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        self.started.set()
        await asyncio.sleep(0.5)
        return await self.inner(messages, task=task, prompt_ref=prompt_ref, scope=scope)


async def test_on_sigterm_the_running_job_finishes_and_the_rest_stay_queued(
    tmp_path: Path, prefix: str
) -> None:
    database = small_crm(tmp_path)
    settings = load_settings(data_dir=tmp_path, redis_url=REDIS_URL)
    caller = SlowCaller()
    service = TriageService(database.sessions, caller, load_library(), company="Acme")
    queue = queue_name(prefix)
    async with queue_redis() as connection:
        await enqueue_triage(connection, queue, database.sessions, list(TICKETS))
        options = worker_settings(
            settings,
            concurrency=1,
            prefix=prefix,
            handle_signals=False,
            poll_delay_s=0.02,
            build=lambda: QueueBackend(service, database.sessions),
        )
        worker = triage_worker(options)
        running = asyncio.create_task(worker.async_run())
        await asyncio.wait_for(caller.started.wait(), 10)
        # What the worker's SIGTERM handler does (worker_settings sets a completion wait).
        worker.handle_sig_wait_for_completion(signal.SIGTERM)
        signalled = time.monotonic()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)
        assert time.monotonic() - signalled < 3  # not the whole grace period
        await worker.close()
        state = await queue_status(connection, queue)
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert (state.complete, state.queued, state.in_progress) == (1, 2, 0)
    assert sum(stored(settings).values()) == 1


def cli(argv: list[str], data_dir: Path) -> int:
    parser = argparse.ArgumentParser(prog="deskpilot")
    parser.add_argument("--data-dir", type=Path)
    sub = parser.add_subparsers(dest="command", required=True)
    register_triage(sub)
    register_worker(sub)
    args = parser.parse_args(["--data-dir", str(data_dir), *argv])
    code: int = args.func(args)
    return code


def test_without_redis_url_queue_and_worker_say_what_they_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REDIS_URL", "DESKPILOT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    small_crm(tmp_path)
    for argv in (["triage", "--all", "--queue"], ["triage", "--queue-status"], ["worker"]):
        with pytest.raises(QueueUnavailable, match=NEEDS_REDIS):
            cli(argv, tmp_path)
    assert stored(load_settings(data_dir=tmp_path)) == Counter()

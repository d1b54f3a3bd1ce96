"""The arq worker of the triage queue: settings built from ``Settings``, run, health.

On SIGTERM or SIGINT the worker stops taking jobs and gives the running ones up to ``GRACE_S``
seconds to finish; a job still running then is cancelled and stays queued (arq runs it again,
and the job skips the kinds it already stored). Every ``HEALTH_CHECK_S`` seconds the worker
writes a health key, ``<queue>:health-check``, that ``deskpilot worker --check`` reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from app.triage.queue import (
    FUNCTION,
    JOB_EXPIRES,
    RESULT_KEEP,
    dump_job,
    load_job,
    queue_name,
    redis_settings,
)
from app.triage.queue_job import (
    BACKEND,
    RETRY,
    QueueBackend,
    RetryPolicy,
    build_backend,
    triage_ticket,
)

if TYPE_CHECKING:
    from arq.worker import Worker

    from app.settings import Settings

GRACE_S = 25  # below the usual 30 s a supervisor (Kubernetes, systemd) waits before SIGKILL
HEALTH_CHECK_S = 30
JOB_TIMEOUT = timedelta(minutes=10)  # three kinds, each through the provider chain's retries


def worker_settings(
    settings: Settings,
    *,
    concurrency: int = 4,
    burst: bool = False,
    prefix: str = "",
    retry: RetryPolicy | None = None,
    build: Callable[[], QueueBackend] | None = None,
    handle_signals: bool = True,
    poll_delay_s: float = 0.5,
) -> dict[str, Any]:
    """arq's worker settings (``arq.worker.Worker`` keyword arguments) for the triage queue.

    ``build`` makes what the jobs share once per worker (default: from ``settings``); tests
    pass their own. QueueUnavailable when ``settings.redis_url`` is not set.
    """
    from arq.worker import func

    connection = redis_settings(settings.redis_url)
    policy = retry or RetryPolicy()
    make = build or partial(build_backend, settings)

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx[BACKEND] = await asyncio.to_thread(make)
        ctx[RETRY] = policy

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        backend: QueueBackend | None = ctx.get(BACKEND)
        if backend is not None:
            backend.close()

    job = func(
        triage_ticket,
        name=FUNCTION,
        max_tries=policy.tries,
        timeout=JOB_TIMEOUT,
        keep_result=RESULT_KEEP,
    )
    return {
        "functions": [job],
        "queue_name": queue_name(prefix),
        "redis_settings": connection,
        "max_jobs": concurrency,
        "burst": burst,
        "poll_delay": poll_delay_s,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "handle_signals": handle_signals,
        "job_completion_wait": GRACE_S,
        "health_check_interval": HEALTH_CHECK_S,
        # Failures arq records itself (expired, too many tries) are kept as long as ours.
        "keep_result": RESULT_KEEP,
        "max_tries": policy.tries,
        "expires_extra_ms": int(JOB_EXPIRES.total_seconds() * 1000),
        "job_serializer": dump_job,
        "job_deserializer": load_job,
    }


def triage_worker(options: dict[str, Any]) -> Worker:
    """An arq ``Worker`` (built inside the event loop it will run on) that, once told to stop,
    starts no further job and stops as soon as the running ones are done."""
    from arq.worker import Worker

    class TriageWorker(Worker):
        async def start_jobs(self, job_ids: list[bytes]) -> None:
            # arq starts every id it read, each as a slot frees, even after a signal came.
            for one in job_ids:
                async with self.sem:  # wait for a free slot, then decide
                    pass
                if not self.allow_pick_jobs:
                    return
                await super().start_jobs([one])

        async def _sleep_until_tasks_complete(self) -> None:
            # arq 0.25 waits for ``self.tasks`` to empty, but stops removing finished tasks
            # once a signal came (python-arq/arq#369): every stop took the whole grace period.
            # arq's own polling kept: awaiting the tasks instead (asyncio.wait) left the main
            # task's cancellation unanswered in a test here, for reasons not yet understood.
            while any(not task.done() for task in self.tasks.values()):  # noqa: ASYNC110
                await asyncio.sleep(0.1)

    return TriageWorker(**options)


@dataclass(frozen=True, slots=True)
class WorkerRun:
    """What a worker did before it stopped."""

    complete: int
    failed: int
    retried: int


def run_worker(options: dict[str, Any]) -> WorkerRun:
    """Run a worker in this thread on a new event loop until the queue is empty (burst) or a
    signal stops it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # arq's Worker takes the current loop when it is built
    try:
        worker = triage_worker(options)
        worker.run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return WorkerRun(worker.jobs_complete, worker.jobs_failed, worker.jobs_retried)


async def health(redis_url: str | None, *, prefix: str = "") -> str | None:
    """The last health record of a worker on the queue, or None when none reported lately."""
    from arq.constants import health_check_key_suffix

    from app.triage.queue import open_queue

    redis = await open_queue(redis_url)
    try:
        value = await redis.get(queue_name(prefix) + health_check_key_suffix)
    finally:
        await redis.aclose(close_connection_pool=True)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)

"""Batch triage through a job queue on Redis (arq): enqueue one job per ticket, read its state.

A job's id is made of the queue name, the ticket and the kinds, so enqueuing the same ticket twice
while its job waits or runs adds nothing. Jobs and their results are JSON, not arq's default
pickle: nothing read back from Redis can run code, and a failed job keeps only its error's class
(for our own failures also the kind and the tries), never text that could hold personal data.
Results are kept for a week: a job that failed for good stays visible to ``--queue-status``
until its ticket is queued again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from app.errors import DeskpilotError
from app.triage.schemas import KINDS, TriageKind

if TYPE_CHECKING:
    from arq.connections import ArqRedis, RedisSettings

    from app.storage.database import SessionFactory

QUEUE = "deskpilot:triage"
FUNCTION = "triage_ticket"
RESULT_KEEP = timedelta(days=7)
JOB_EXPIRES = timedelta(days=7)  # a job not started within this is failed as expired
NEEDS_REDIS = "needs REDIS_URL: the queue lives on Redis"
_ENQUEUE_CHUNK = 200  # enqueue this many jobs concurrently (one round trip each)


class QueueUnavailable(DeskpilotError):
    """No Redis configured, or it cannot be reached."""


class TriageJobFailed(DeskpilotError):
    """A triage job failed for good; its message names only ids, the kind and an error class."""

    def __init__(self, ticket_id: str, kind: str, error: str, tries: int) -> None:
        super().__init__(
            f"{ticket_id} {kind}: {error} after {tries} tr{'y' if tries == 1 else 'ies'}"
        )
        self.ticket_id, self.kind, self.error, self.tries = ticket_id, kind, error, tries


def queue_name(prefix: str = "") -> str:
    """The queue's name in Redis; tests (or environments sharing one Redis) give a prefix."""
    return f"{prefix}{QUEUE}"


def job_id(queue: str, ticket_id: str, kinds: Sequence[TriageKind]) -> str:
    """The job's id: the same ticket and kinds on the same queue are one job."""
    return f"{queue}:{ticket_id}:{'+'.join(kinds)}"


def ticket_of(queue: str, job: str) -> tuple[str, str]:
    """The ticket id and kinds of a job id made by ``job_id``."""
    ticket, _, kinds = job.removeprefix(f"{queue}:").rpartition(":")
    return ticket, kinds


def ordered_kinds(kinds: Sequence[TriageKind]) -> tuple[TriageKind, ...]:
    """Kinds in the order they must run (next_action reads the classification), no repeats."""
    return tuple(k for k in KINDS if k in kinds)


# -- serialisation ---------------------------------------------------------------------------
def dump_job(data: dict[str, Any]) -> bytes:
    """arq's job and result data as JSON (exceptions as their class name)."""
    return json.dumps(data, default=_jsonable, separators=(",", ":")).encode()


def load_job(raw: bytes) -> dict[str, Any]:
    """The inverse of ``dump_job``."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a job is a JSON object")
    return data


def _jsonable(value: object) -> object:
    from arq.worker import JobExecutionFailed

    if isinstance(value, TriageJobFailed):
        return {"error": value.error, "kind": value.kind, "tries": value.tries}
    if isinstance(value, BaseException):
        # arq's own messages ("job expired") hold no ticket text; any other message might.
        safe = isinstance(value, JobExecutionFailed)
        return {"error": type(value).__name__, "message": str(value) if safe else ""}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# -- connection ------------------------------------------------------------------------------
def require_redis(redis_url: str | None) -> str:
    """The Redis URL, or QueueUnavailable with the message the CLI prints."""
    if not redis_url:
        raise QueueUnavailable(NEEDS_REDIS)
    return redis_url


def redis_settings(redis_url: str | None, *, retries: int = 5) -> RedisSettings:
    """arq's connection settings for ``redis_url`` (retries: connection attempts after one)."""
    from arq.connections import RedisSettings

    url = require_redis(redis_url)
    try:
        parsed = RedisSettings.from_dsn(url)
    except (AssertionError, ValueError) as exc:
        raise QueueUnavailable(f"REDIS_URL is not a redis:// URL ({type(exc).__name__})") from exc
    return dataclasses.replace(parsed, conn_retries=retries)


def where(settings: RedisSettings) -> str:
    """Host, port and database of a connection, for messages (never the password)."""
    return f"{settings.host}:{settings.port}/{settings.database}"


async def open_queue(redis_url: str | None, *, retries: int = 1) -> ArqRedis:
    """A connection that enqueues JSON jobs; QueueUnavailable when Redis does not answer."""
    from arq.connections import create_pool
    from redis.exceptions import RedisError

    settings = redis_settings(redis_url, retries=retries)
    try:
        return await create_pool(settings, job_serializer=dump_job, job_deserializer=load_job)
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(
            f"cannot reach Redis at {where(settings)} ({type(exc).__name__})"
        ) from exc


# -- enqueue ---------------------------------------------------------------------------------
@dataclass(slots=True)
class EnqueueSummary:
    """What an enqueue did."""

    queue: str
    tickets: int = 0
    queued: int = 0  # new jobs
    already_queued: int = 0  # a job for the ticket and kinds was waiting or running
    already_done: int = 0  # every kind already stored (not redone without force)


async def enqueue_triage(
    redis: ArqRedis,
    queue: str,
    sessions: SessionFactory,
    ticket_ids: Sequence[str],
    *,
    kinds: Sequence[TriageKind] = ("classification",),
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> EnqueueSummary:
    """One job per ticket that still lacks one of ``kinds`` (every ticket with ``force``)."""
    from app.triage.store import triaged_ticket_ids

    run_kinds = ordered_kinds(kinds)
    summary = EnqueueSummary(queue, tickets=len(ticket_ids))
    if force:
        todo = list(ticket_ids)
    else:
        done = [await asyncio.to_thread(triaged_ticket_ids, sessions, k) for k in run_kinds]
        todo = [t for t in ticket_ids if not all(t in d for d in done)]
    summary.already_done = len(ticket_ids) - len(todo)
    for start in range(0, len(todo), _ENQUEUE_CHUNK):
        chunk = todo[start : start + _ENQUEUE_CHUNK]
        added = await asyncio.gather(*(_enqueue(redis, queue, t, run_kinds, force) for t in chunk))
        summary.queued += sum(added)
        summary.already_queued += len(added) - sum(added)
        if progress:
            progress(start + len(chunk), len(todo))
    return summary


async def _enqueue(
    redis: ArqRedis, queue: str, ticket_id: str, kinds: tuple[TriageKind, ...], force: bool
) -> bool:
    """Whether a new job was queued (False: one for this ticket is waiting or running)."""
    from arq.constants import job_key_prefix, result_key_prefix

    job = job_id(queue, ticket_id, kinds)
    for _ in range(2):
        queued = await redis.enqueue_job(
            FUNCTION,
            ticket_id,
            list(kinds),
            force,
            _job_id=job,
            _queue_name=queue,
            _expires=JOB_EXPIRES,
        )
        if queued is not None:
            return True
        if await redis.exists(job_key_prefix + job):
            return False
        # arq refuses an id whose result it still keeps: that job ran (or failed for good) and the
        # ticket still needs triage, so its old result gives way to a new run.
        await redis.delete(result_key_prefix + job)
    return False


# -- status ----------------------------------------------------------------------------------
@dataclass(slots=True)
class QueueStatus:
    """How many jobs of a queue wait, run, finished and failed, from arq's own records."""

    queue: str
    queued: int = 0  # waiting, including jobs waiting to be retried
    in_progress: int = 0
    complete: int = 0
    failed: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # ticket, kinds, error

    def as_json(self) -> dict[str, object]:
        """The counts and failures as JSON data."""
        failures = [{"ticket": t, "kinds": k, "error": e} for t, k, e in self.failures]
        return {**dataclasses.asdict(self), "failures": failures}


async def queue_status(redis: ArqRedis, queue: str) -> QueueStatus:
    """Counts of the queue's jobs: waiting or running (its sorted set) and finished (results)."""
    from arq.constants import in_progress_key_prefix, result_key_prefix
    from arq.jobs import deserialize_result

    status = QueueStatus(queue)
    waiting = [_text(m) for m in await redis.zrange(queue, 0, -1)]
    for start in range(0, len(waiting), 500):
        chunk = waiting[start : start + 500]
        status.in_progress += int(await redis.exists(*(in_progress_key_prefix + j for j in chunk)))
    status.queued = len(waiting) - status.in_progress
    keys = [k async for k in redis.scan_iter(match=f"{result_key_prefix}{_glob(queue)}:*")]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for key, raw in zip(chunk, await redis.mget(chunk), strict=True):
            if raw is None:
                continue  # expired between the scan and the read
            result = deserialize_result(_bytes(raw), deserializer=load_job)
            if result.success:
                status.complete += 1
                continue
            status.failed += 1
            ticket, kinds = ticket_of(queue, _text(key).removeprefix(result_key_prefix))
            status.failures.append((ticket, kinds, _error_text(result.result)))
    status.failures.sort()
    return status


def _error_text(result: object) -> str:
    """What a failed result says: the error class, and for ours the kind and the tries."""
    if not isinstance(result, dict):
        return "failed"
    error = str(result.get("error") or "failed")
    if "tries" in result:
        tries = int(result["tries"])
        return f"{error} on {result.get('kind')} after {tries} tr{'y' if tries == 1 else 'ies'}"
    return f"{error}: {result['message']}" if result.get("message") else error


def _text(value: object) -> str:
    """A Redis reply (bytes: the connection does not decode) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _glob(text: str) -> str:
    """``text`` matched literally in a Redis SCAN pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)

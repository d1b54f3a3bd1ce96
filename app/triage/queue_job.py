"""The queue's job: triage one ticket in a worker, retrying later when no provider answers.

In process, a ticket whose providers all fail gets the rules' answer (``ask_structured``). On the
queue there is time to wait: the job is retried with arq's ``Retry`` after a growing delay, and
after its last try it fails for good, recorded in arq's result and shown by ``--queue-status``,
with nothing stored for the ticket (queueing it again retries it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.triage.caller import ModelCaller, ModelReply
from app.triage.queue import TriageJobFailed, ordered_kinds
from app.triage.schemas import TriageKind
from providers import Message, ProviderError, RequestRejected

if TYPE_CHECKING:
    from app.runtime import Database
    from app.settings import Settings
    from app.storage.database import SessionFactory
    from app.triage.service import TriageService

log = logging.getLogger(__name__)
BACKEND = "triage_backend"  # keys of arq's worker ctx
RETRY = "triage_retry"
MAX_DELAY_S = 600.0


class ProviderDown(Exception):
    """No provider on the route answered; raised past the rules fallback so the job can wait."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(type(error).__name__)
        self.error = type(error).__name__
        # A refused request is refused again later; anything else may pass after a while.
        self.retryable = not isinstance(error, RequestRejected)
        self.retry_after: float | None = getattr(error, "retry_after", None)


class RaiseProviderErrors:
    """A ``ModelCaller`` whose provider failures escape ``ask_structured`` as ``ProviderDown``."""

    def __init__(self, inner: ModelCaller) -> None:
        self._inner = inner

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        """The inner call; ProviderError becomes ProviderDown."""
        try:
            return await self._inner(messages, task=task, prompt_ref=prompt_ref, scope=scope)
        except ProviderError as exc:
            raise ProviderDown(exc) from exc


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a job is tried when no provider answers, and how long it waits in between."""

    tries: int = 4
    delay_s: float = 15.0  # before the second try; doubles for each later one

    def delay(self, job_try: int, retry_after: float | None = None) -> float:
        """Seconds before the next try, at least what the provider asked for."""
        backoff = min(MAX_DELAY_S, self.delay_s * 2.0 ** (job_try - 1))
        return max(retry_after or 0.0, backoff)


@dataclass(frozen=True, slots=True)
class QueueBackend:
    """What a worker's jobs share, built once in arq's ``on_startup``."""

    service: TriageService
    sessions: SessionFactory
    close: Callable[[], None] = lambda: None


def queue_service(settings: Settings, database: Database) -> TriageService:
    """The triage service of ``build_triage``, with provider failures surfaced for retries."""
    from app.triage.service import TriageService
    from app.triage.wiring import build_chain_caller
    from prompts.library import load_library

    caller = build_chain_caller(settings, None, database.sessions)
    pseudonymiser = None
    if caller.uses_models():  # as build_triage: redact only when tickets can leave the process
        from app.runtime import product_names
        from guardrails import Pseudonymiser, build_analyzer

        pseudonymiser = Pseudonymiser(
            build_analyzer(settings.spacy_model), allow_list=product_names(database.sessions)
        )
    return TriageService(
        database.sessions,
        RaiseProviderErrors(caller),
        load_library(),
        company=settings.company_name,
        pseudonymiser=pseudonymiser,
    )


def build_backend(settings: Settings) -> QueueBackend:
    """Open the database and build the service (seconds when spaCy has to load)."""
    from app.runtime import open_database

    database = open_database(settings)
    return QueueBackend(
        queue_service(settings, database), database.sessions, database.engine.dispose
    )


async def triage_ticket(
    ctx: dict[str, Any], ticket_id: str, kinds: list[TriageKind], force: bool = False
) -> dict[str, Any]:
    """Triage one ticket for each of ``kinds`` as ``run_batch`` does, storing every answer.

    Kinds already stored are skipped (with ``force``: those stored since the job was queued),
    so a job run again after a crash, a shutdown or a retry does not redo finished work.
    """
    backend: QueueBackend = ctx[BACKEND]
    retry: RetryPolicy = ctx[RETRY]
    job_try = int(ctx.get("job_try", 1))
    since: datetime | None = ctx.get("enqueue_time") if force else None
    done: dict[str, str] = {}
    skipped: list[str] = []
    for kind in ordered_kinds(kinds):
        if await asyncio.to_thread(_stored, backend.sessions, ticket_id, kind, since):
            skipped.append(kind)
            continue
        try:
            result = await backend.service.run(ticket_id, kind)
        except ProviderDown as exc:
            if exc.retryable and job_try < retry.tries:
                delay = retry.delay(job_try, exc.retry_after)
                log.warning(
                    "triage of %s (%s): no provider answered (%s), try %d of %d, next in %.0f s",
                    ticket_id,
                    kind,
                    exc.error,
                    job_try,
                    retry.tries,
                    delay,
                )
                from arq.worker import Retry

                raise Retry(defer=delay) from None
            raise _failed(ticket_id, kind, exc.error, job_try) from None
        except Exception as exc:  # a bad ticket or a bug: trying again cannot help
            raise _failed(ticket_id, kind, type(exc).__name__, job_try) from None
        done[kind] = result.method
    return {"ticket": ticket_id, "done": done, "skipped": skipped}


def _failed(ticket_id: str, kind: str, error: str, job_try: int) -> TriageJobFailed:
    # The class name only: an exception's message may quote the ticket.
    log.error("triage of %s (%s) failed for good: %s (try %d)", ticket_id, kind, error, job_try)
    return TriageJobFailed(ticket_id, kind, error, job_try)


def _stored(
    sessions: SessionFactory, ticket_id: str, kind: TriageKind, since: datetime | None
) -> bool:
    """Whether an answer of ``kind`` is stored (and, with ``since``, made after it)."""
    from app.triage.store import latest

    row = latest(sessions, ticket_id, kind)
    if row is None:
        return False
    if since is None:
        return True
    made = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return made >= since

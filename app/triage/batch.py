"""Batch triage: many tickets at once, a bounded number in flight, resumable.

A ticket that already has a stored answer of a kind is skipped unless ``force``: a run that was
interrupted picks up where it stopped. One ticket's failure is counted and logged, and the batch
goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.storage.database import SessionFactory
from app.triage.schemas import TriageKind
from app.triage.service import TriageService
from app.triage.store import triaged_ticket_ids
from app.triage.structured import TriageResult

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class BatchSummary:
    """What a batch run did."""

    tickets: int = 0
    done: int = 0  # answers made and stored
    skipped: int = 0  # answers already stored (not redone without --force)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, error class)
    methods: Counter[str] = field(default_factory=Counter)  # model | local | rules
    urgencies: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    prompts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


async def run_batch(
    service: TriageService,
    sessions: SessionFactory,
    ticket_ids: Sequence[str],
    *,
    kinds: Sequence[TriageKind] = ("classification",),
    concurrency: int = 4,
    force: bool = False,
    progress: Progress | None = None,
) -> BatchSummary:
    """Triage ``ticket_ids`` for each of ``kinds`` with at most ``concurrency`` in flight."""
    started = time.perf_counter()
    summary = BatchSummary(tickets=len(ticket_ids))
    done_before = {k: set() if force else triaged_ticket_ids(sessions, k) for k in kinds}
    work = [(t, k) for t in ticket_ids for k in kinds if t not in done_before[k]]
    summary.skipped = len(ticket_ids) * len(kinds) - len(work)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    finished = 0
    if progress:
        progress(0, len(work))
    # A ticket's kinds run in order (classification first: next_action reads it), one ticket
    # per slot; different tickets run side by side.
    by_ticket: dict[str, list[TriageKind]] = {}
    for ticket_id, kind in work:
        by_ticket.setdefault(ticket_id, []).append(kind)

    def record(kind: TriageKind, result: TriageResult) -> None:
        summary.done += 1
        summary.methods[result.method] += 1
        summary.prompts[result.prompt_ref] += 1
        if kind == "classification":
            payload = result.payload()
            summary.urgencies[str(payload["urgency"])] += 1
            summary.categories[str(payload["category"])] += 1

    async def one(ticket_id: str, ticket_kinds: list[TriageKind]) -> None:
        nonlocal finished
        async with semaphore:
            for kind in ticket_kinds:
                try:
                    record(kind, await service.run(ticket_id, kind))
                except Exception as exc:  # one bad ticket must not stop the batch
                    log.exception("triage of %s (%s) failed", ticket_id, kind)
                    summary.failed.append((ticket_id, type(exc).__name__))
                finished += 1
                if progress:
                    progress(finished, len(work))

    await asyncio.gather(*(one(t, k) for t, k in by_ticket.items()))
    summary.seconds = time.perf_counter() - started
    return summary

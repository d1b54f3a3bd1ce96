"""Batch triage: bounded concurrency, resumable (done tickets are skipped), failures counted."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import col, select

from app.storage.triage_tables import TicketTriage
from app.triage.batch import run_batch
from app.triage.caller import ModelReply, ProviderCaller
from app.triage.service import TriageService
from prompts.library import load_library
from providers import LocalResponder, Message
from tests.triage_setup import TICKETS, small_crm

IDS = list(TICKETS)


class CountingCaller:
    """The local responder, slowed a little, counting calls in flight."""

    def __init__(self) -> None:
        self.inner = ProviderCaller(LocalResponder())
        self.in_flight = 0
        self.most = 0
        self.calls = 0

    async def __call__(
        self, messages: Sequence[Message], *, task: str, prompt_ref: str, scope: str | None
    ) -> ModelReply:
        self.calls += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        return await self.inner(messages, task=task, prompt_ref=prompt_ref, scope=scope)


async def test_a_batch_resumes_where_it_stopped_and_force_redoes(tmp_path: Path) -> None:
    crm = small_crm(tmp_path)
    caller = CountingCaller()
    service = TriageService(crm.sessions, caller, load_library(), company="Acme")
    first = await run_batch(service, crm.sessions, IDS[:2])  # an interrupted run
    assert (first.done, first.skipped) == (2, 0)
    progress: list[tuple[int, int]] = []
    second = await run_batch(
        service, crm.sessions, IDS, progress=lambda d, t: progress.append((d, t))
    )
    assert (second.done, second.skipped, caller.calls) == (1, 2, 3)
    assert progress[0] == (0, 1) and progress[-1] == (1, 1)
    forced = await run_batch(service, crm.sessions, IDS, force=True)
    assert (forced.done, forced.skipped) == (3, 0)
    assert forced.urgencies == {"P1": 1, "P2": 1, "P3": 1}
    assert forced.methods == {"local": 3} and forced.prompts == {"triage_classify@1": 3}


async def test_concurrency_is_bounded_and_a_bad_ticket_does_not_stop_the_batch(
    tmp_path: Path,
) -> None:
    crm = small_crm(tmp_path)
    caller = CountingCaller()
    service = TriageService(crm.sessions, caller, load_library(), company="Acme")
    summary = await run_batch(
        service,
        crm.sessions,
        [*IDS, "TCK-404"],
        kinds=("classification", "summary", "next_action"),
        concurrency=2,
    )
    assert summary.done == 9
    assert summary.failed == [("TCK-404", "TicketNotFound")] * 3
    assert caller.most == 2
    with crm.sessions() as session:
        rows = session.exec(select(TicketTriage).order_by(col(TicketTriage.id))).all()
    for ticket_id in IDS:  # next_action reads the classification: it comes first per ticket
        kinds = [r.kind for r in rows if r.ticket_id == ticket_id]
        assert kinds == ["classification", "summary", "next_action"]

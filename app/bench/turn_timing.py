"""Timing one turn from the caller's side, and its pipeline overhead from the call ledger.

Pipeline overhead of a turn = its wall time minus the provider's own time, where
- wall time runs from calling ``Assistant.respond`` to receiving its ``TurnResult`` (every step:
  checks, Presidio, SQL, rules, retrieval, prompt, streaming restore, ledger, storage, memory);
- provider time is the sum of the turn's call-ledger ``latency_ms``: each attempt as the
  ``Instrumented`` layer times it at the adapter edge, from the request to the last chunk read
  (time to first token and streaming included).
This is the definition of ``deskpilot_pipeline_overhead_seconds`` (total minus provider time),
except that the metric's total stops at step 7 while this wall time also counts the storage
and memory update after it, as a user waiting for the turn to finish would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from app.assistant import Assistant
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord
from app.turn_types import TurnResult

OVERHEAD_DEFINITION = (
    "turn wall time (Assistant.respond called -> TurnResult received) minus the sum of the "
    "turn's call-ledger latency_ms (each provider attempt timed at the adapter edge by "
    "Instrumented: request -> last chunk, TTFT and streaming included)"
)


@dataclass(slots=True)
class TurnSample:
    """One timed turn; ``provider_ms`` is filled from the ledger afterwards."""

    conversation_id: int
    turn: int  # the app's turn number (1 for a conversation's first)
    wall_ms: float
    # An exception's class name, or "degraded" for a stand-in answer (a cache hit is not one).
    error: str | None = None
    provider_ms: float = 0.0
    cache_hit: bool = False

    @property
    def overhead_ms(self) -> float:
        """Wall time minus provider time."""
        return self.wall_ms - self.provider_ms


async def timed_turn(
    assistant: Assistant, conversation_id: int, turn: int, text: str
) -> TurnSample:
    """Run one turn to its result and time it; failures are recorded, not raised."""
    started = time.perf_counter()
    result: TurnResult | None = None
    error: str | None = None
    try:
        async for event in assistant.respond(conversation_id, text):
            if isinstance(event, TurnResult):
                result = event
    except Exception as exc:  # a benchmark counts errors rather than stopping on the first
        error = type(exc).__name__
    wall_ms = (time.perf_counter() - started) * 1000.0
    if error is None and (result is None or (result.degraded and result.fallback != "cache")):
        error = "degraded"
    return TurnSample(conversation_id, turn, wall_ms, error)


def attach_provider_time(sessions: SessionFactory, samples: Sequence[TurnSample]) -> None:
    """Fill each sample's provider time and cache hit from its ledger rows."""
    ids = sorted({s.conversation_id for s in samples})
    spent: dict[tuple[int, int], float] = {}
    cached: set[tuple[int, int]] = set()
    with sessions() as session:
        for start in range(0, len(ids), 500):
            rows = session.exec(
                select(CallRecord).where(
                    col(CallRecord.conversation_id).in_(ids[start : start + 500])
                )
            ).all()
            for row in rows:
                key = (row.conversation_id or 0, row.turn or 0)
                spent[key] = spent.get(key, 0.0) + row.latency_ms
                if row.cache_hit:
                    cached.add(key)
    for sample in samples:
        key = (sample.conversation_id, sample.turn)
        sample.provider_ms = spent.get(key, 0.0)
        sample.cache_hit = key in cached

"""Provider latencies per conversation, for the list's mean and p95 columns."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.storage.tables import CallRecord

_CHUNK = 500  # ids per IN (...): well under every database's bound-parameter limit


def latencies(session: Session, ids: Sequence[int]) -> dict[int, list[float]]:
    """Latency of each answered, uncached call of the conversations ``ids``, by conversation."""
    # A cache hit's latency says nothing about the provider; a failed call's only of its timeout.
    found: dict[int, list[float]] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(col(CallRecord.conversation_id), col(CallRecord.latency_ms)).where(
            col(CallRecord.conversation_id).in_(ids[start : start + _CHUNK]),
            col(CallRecord.ok),
            col(CallRecord.cache_hit).is_(None),
        )
        for conversation_id, latency_ms in session.exec(query).all():
            if conversation_id is not None:
                found.setdefault(conversation_id, []).append(float(latency_ms))
    return found

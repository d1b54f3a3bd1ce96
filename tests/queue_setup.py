"""Shared helpers of the queue tests: a queue of the test's own, stored answers, no keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from sqlmodel import select

from app.runtime import open_database
from app.settings import Settings
from app.storage.triage_tables import TicketTriage
from app.triage.queue import queue_name


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the local responder: no provider keys, the packaged provider file."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DESKPILOT_PROVIDERS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def prefix(redis_client: redis.Redis, namespace: str) -> Iterator[str]:
    """A queue of this test alone; arq's own keys of its jobs are deleted afterwards too."""
    yield namespace
    # arq keeps jobs and results under arq:<kind>:<job id>; our job ids start with the queue.
    for key in redis_client.scan_iter(match=f"arq:*:{queue_name(namespace)}:*"):
        redis_client.delete(key)


def stored(settings: Settings) -> Counter[tuple[str, str]]:
    """Stored answers per (ticket, kind)."""
    database = open_database(settings)
    with database.sessions() as session:
        rows = session.exec(select(TicketTriage.ticket_id, TicketTriage.kind)).all()
    database.engine.dispose()
    return Counter((t, k) for t, k in rows)

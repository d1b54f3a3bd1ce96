"""Shared state: in-process expiry, the same interface over a real Redis, a breaker shared on it."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
import redis

from providers.base import Chunk, CircuitOpen, Completion, Message, ProviderUnavailable, Usage
from providers.breaker import Breaker, BreakerPolicy
from providers.state import InProcessStore, RedisStore
from tests.fakes.clock import FakeClock

MESSAGES = [Message("user", "Where is my parcel?")]


def test_in_process_values_expire_after_their_ttl() -> None:
    clock = FakeClock()
    store = InProcessStore(clock)
    store.set("answer", b"refund in 5 days", ttl_s=5.0)
    store.set("forever", b"kept")
    clock.advance(4.9)
    assert store.get("answer") == b"refund in 5 days"
    clock.advance(0.2)
    assert store.get("answer") is None
    assert store.get("forever") == b"kept"
    store.delete("forever")
    store.delete("never-there")
    assert store.get("forever") is None


def test_in_process_store_drops_the_oldest_entry_when_full() -> None:
    store = InProcessStore(FakeClock(), max_items=2)
    for key in ["a", "b", "c"]:
        store.set(key, key.encode())
    assert [store.get(key) for key in ["a", "b", "c"]] == [None, b"b", b"c"]


def test_redis_store_sets_gets_and_deletes_under_its_namespace(
    redis_client: redis.Redis, namespace: str
) -> None:
    store = RedisStore(redis_client, namespace=namespace)
    assert store.get("answer") is None
    store.set("answer", b"refund in 5 days")
    assert store.get("answer") == b"refund in 5 days"
    assert redis_client.get(namespace + "answer") == b"refund in 5 days"
    store.delete("answer")
    assert store.get("answer") is None
    store.delete("answer")  # deleting a missing key is fine


def test_redis_store_values_expire_after_their_ttl(
    redis_client: redis.Redis, namespace: str
) -> None:
    store = RedisStore(redis_client, namespace=namespace)
    store.set("answer", b"refund in 5 days", ttl_s=0.2)
    store.set("forever", b"kept")
    assert store.get("answer") == b"refund in 5 days"
    assert 0 < redis_client.pttl(namespace + "answer") <= 200
    time.sleep(0.35)
    assert store.get("answer") is None
    assert store.get("forever") == b"kept"


def test_the_default_namespace_is_deskpilot(redis_client: redis.Redis) -> None:
    key = f"test-default-ns-{uuid.uuid4().hex}"
    store = RedisStore(redis_client)
    try:
        store.set(key, b"x", ttl_s=5.0)
        assert redis_client.get(f"deskpilot:{key}") == b"x"
    finally:
        store.delete(key)


class Switchable:
    """A provider that fails while ``down`` is true."""

    def __init__(self, down: bool) -> None:
        self.name = "openai"
        self.down = down
        self.calls = 0

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        self.calls += 1
        if self.down:
            raise ProviderUnavailable("503", provider=self.name, status=503)
        return Completion("ok", Usage(1, 1), model, "stop", 1.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        yield Chunk("ok", finish_reason="stop")


async def test_two_breakers_share_their_state_through_redis(
    redis_client: redis.Redis, namespace: str
) -> None:
    # Two "processes": separate stores (clients), separate breakers, the real clock (wall time).
    policy = BreakerPolicy(failure_threshold=2, window_s=30.0, open_s=0.3)
    first, second = Switchable(down=True), Switchable(down=False)
    other_client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        process_a = Breaker(
            first, key="openai-mini", store=RedisStore(redis_client, namespace), policy=policy
        )
        process_b = Breaker(
            second, key="openai-mini", store=RedisStore(other_client, namespace), policy=policy
        )
        for _ in range(2):
            with pytest.raises(ProviderUnavailable):
                await process_a.complete(MESSAGES, model="m", max_tokens=10, temperature=0.0)
        assert process_b.state() == "open"
        with pytest.raises(CircuitOpen):
            await process_b.complete(MESSAGES, model="m", max_tokens=10, temperature=0.0)
        assert second.calls == 0

        await asyncio.sleep(0.35)
        assert process_a.state() == "half_open"
        done = await process_b.complete(MESSAGES, model="m", max_tokens=10, temperature=0.0)
        assert done.text == "ok"
        assert process_a.state() == "closed"
        assert redis_client.get(namespace + "breaker:openai-mini") is None  # nothing left over
    finally:
        other_client.close()

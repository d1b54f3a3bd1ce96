"""The exact cache answers true repeats without calling the model; it never stores partial text."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

from providers import Chunk, Completion, Fallback, LocalResponder, Message, Usage
from providers.base import ProviderUnavailable, StreamInterrupted
from providers.cached import Cached, CacheFallback, CacheMiss
from providers.response_cache import CachedAnswer, CacheKey, ExactCache, key_builder, scope_of
from providers.state import InProcessStore, RedisStore
from providers.trace import tracing
from tests.fakes.clock import FakeClock

ANSWER = "Hi <PERSON_1>, refunds reach your original payment method within 5 business days."


def prompt(
    customer_id: str | None, question: str = "How long does a refund take?"
) -> list[Message]:
    """A prompt in Deskpilot's format, with or without a customer block."""
    customer = (
        f"<customer>\nid: {customer_id}\nname: <PERSON_1>\n</customer>\n" if customer_id else ""
    )
    passage = (
        '<passage source="returns-and-refunds.md" title="Returns and refunds" '
        'section="Refund timing" score="0.82">\nRefunds are issued within 5 business days.\n'
        "</passage>"
    )
    return [
        Message("system", f"<audience>customer</audience>\n{customer}{passage}"),
        Message("user", question),
    ]


class ScriptedModel:
    """A model that yields ``texts``, then ``error`` or a finish chunk; ``down`` fails at once."""

    def __init__(
        self,
        texts: Sequence[str] = (ANSWER,),
        *,
        error: Exception | None = None,
        finish: str | None = "stop",
        name: str = "openai",
    ) -> None:
        self.name = name
        self.texts = list(texts)
        self.error = error
        self.finish = finish
        self.down = False
        self.calls = 0

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        self.calls += 1
        if self.down or self.error is not None:
            raise ProviderUnavailable("down", provider=self.name)
        return Completion("".join(self.texts), Usage(30, 12), model, self.finish, 5.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        self.calls += 1
        if self.down:
            raise ProviderUnavailable("down", provider=self.name)
        for text in self.texts:
            yield Chunk(text)
        if self.error is not None:
            raise self.error
        if self.finish is not None:
            yield Chunk("", finish_reason=self.finish, usage=Usage(30, 12))


async def ask(provider: Cached | Fallback, messages: Sequence[Message]) -> tuple[str, list[Chunk]]:
    """Stream one answer; its text and chunks."""
    chunks = [
        c async for c in provider.stream(messages, model="gpt-x", max_tokens=300, temperature=0)
    ]
    return "".join(c.text for c in chunks), chunks


def cached(
    model: ScriptedModel, exact: ExactCache, *, prompt_ref: str = "answer@3", tier: str = "standard"
) -> Cached:
    """``model`` behind an exact cache keyed by the prompt's own customer scope."""
    return Cached(model, exact, key_for=key_builder(prompt=prompt_ref, tier=tier))


async def test_a_repeat_is_served_from_the_cache_without_calling_the_model() -> None:
    model = ScriptedModel()
    provider = cached(model, ExactCache(InProcessStore()))
    with tracing() as first:
        text1, _ = await ask(provider, prompt("CUS-10001"))
    with tracing() as second:
        text2, chunks = await ask(provider, prompt("CUS-10001"))

    assert model.calls == 1
    assert text1 == text2 == ANSWER
    assert len(chunks) > 2, "a hit streams in a few chunks, like a model"
    assert chunks[-1].finish_reason == "stop" and chunks[-1].usage == Usage(0, 0)
    assert first.attempts == []  # no Instrumented layer here: the cache records only its hits
    [hit] = second.attempts
    assert (hit.provider, hit.model, hit.cache_hit, hit.ok, hit.usage) == (
        "cache",
        "gpt-x",
        "exact",
        True,
        Usage(0, 0),
    )


async def test_complete_is_cached_too_and_says_so() -> None:
    model = ScriptedModel()
    provider = cached(model, ExactCache(InProcessStore()))
    await provider.complete(prompt(None), model="gpt-x", max_tokens=300, temperature=0)
    with tracing() as trace:
        again = await provider.complete(prompt(None), model="gpt-x", max_tokens=300, temperature=0)
    assert model.calls == 1
    assert again.text == ANSWER and again.usage == Usage(0, 0)
    assert again.extra["cache_hit"] == "exact" and trace.attempts[0].cache_hit == "exact"


async def test_prompt_version_tier_and_customer_scope_each_make_a_different_key() -> None:
    exact = ExactCache(InProcessStore())
    model = ScriptedModel()
    await ask(cached(model, exact), prompt("CUS-10001"))
    await ask(cached(model, exact, prompt_ref="answer@4"), prompt("CUS-10001"))
    await ask(cached(model, exact, tier="premium"), prompt("CUS-10001"))
    await ask(cached(model, exact), prompt("CUS-10002"))
    await ask(cached(model, exact), prompt(None))
    assert model.calls == 5
    await ask(cached(model, exact), prompt("CUS-10001"))
    await ask(cached(model, exact), prompt(None))
    assert model.calls == 5


def test_the_scope_is_the_customer_id_or_public_and_unowned_facts_are_never_cached() -> None:
    assert scope_of(prompt("CUS-10001")) == "CUS-10001"
    assert scope_of(prompt(None)) == "public"
    orphan = [
        Message("system", "<orders>\n- ORD-200001: status=shipped\n</orders>"),
        Message("user", "Where?"),
    ]
    assert scope_of(orphan) is None
    assert key_builder(prompt="answer@3", tier="standard")(orphan) is None
    key = CacheKey.build(prompt(None), prompt="answer@3", tier="standard", scope="public")
    assert len(key.digest) == 64 and key.prompt == "answer@3"


async def test_answers_expire_after_the_ttl() -> None:
    clock = FakeClock()
    model = ScriptedModel()
    provider = cached(model, ExactCache(InProcessStore(clock), ttl_s=60))
    await ask(provider, prompt("CUS-10001"))
    clock.advance(59)
    await ask(provider, prompt("CUS-10001"))
    assert model.calls == 1
    clock.advance(2)
    await ask(provider, prompt("CUS-10001"))
    assert model.calls == 2


async def test_a_stream_cut_off_mid_way_is_never_stored() -> None:
    exact = ExactCache(InProcessStore())
    broken = ScriptedModel(["Hi <PERSON_1>, refunds "], error=StreamInterrupted("reset"))
    with pytest.raises(StreamInterrupted):
        await ask(cached(broken, exact), prompt("CUS-10001"))
    silent_end = ScriptedModel(["Hi <PERSON_1>, refunds "], finish=None)
    with pytest.raises(StreamInterrupted):
        await ask(cached(silent_end, exact), prompt("CUS-10001"))
    too_long = ScriptedModel(["Hi <PERSON_1>, refunds "], finish="length")
    await ask(cached(too_long, exact), prompt("CUS-10001"))

    model = ScriptedModel()
    provider = cached(model, exact)
    stream = provider.stream(prompt("CUS-10001"), model="gpt-x", max_tokens=300, temperature=0)
    await anext(aiter(stream))
    await stream.aclose()  # type: ignore[attr-defined]  # the user stopped the answer
    text, _ = await ask(provider, prompt("CUS-10001"))
    assert text == ANSWER and model.calls == 2, "nothing partial was served from the cache"


async def test_local_responder_answers_are_not_cached() -> None:
    failing = ScriptedModel()
    failing.down = True
    chain = Fallback((failing, "gpt-x"), (LocalResponder(), "local-responder"))
    exact = ExactCache(InProcessStore())
    provider = Cached(chain, exact, key_for=key_builder(prompt="answer@3", tier="standard"))
    await ask(provider, prompt("CUS-10001"))
    await ask(provider, prompt("CUS-10001"))
    assert failing.calls == 2, "once the provider is back, the degraded answer must not linger"


async def test_during_an_outage_the_cache_fallback_serves_an_expired_answer() -> None:
    clock = FakeClock()
    exact = ExactCache(InProcessStore(clock), ttl_s=60, stale_s=3600, wall_clock=clock.monotonic)
    key_for = key_builder(prompt="answer@3", tier="standard")
    model = ScriptedModel()
    await ask(Cached(model, exact, key_for=key_for), prompt("CUS-10001"))
    clock.advance(600)

    model.down = True
    late = CacheFallback(exact, None, key_for=key_for, semantic_query_for=lambda _: None)
    chain = Fallback((model, "gpt-x"), (late, "cache"), (LocalResponder(), "local-responder"))
    with tracing() as trace:
        text, _ = await ask(Cached(chain, exact, key_for=key_for), prompt("CUS-10001"))

    assert text == ANSWER and model.calls == 2, "stale for the model path, still served in outage"
    assert [a.cache_hit for a in trace.attempts if a.provider == "cache"] == ["exact"]
    key = key_for(prompt("CUS-10001"))
    assert key is not None and exact.get(key) is None and exact.get(key, allow_stale=True)


async def test_cache_fallback_with_nothing_cached_lets_the_local_responder_answer() -> None:
    key_for = key_builder(prompt="answer@3", tier="standard")
    late = CacheFallback(
        ExactCache(InProcessStore()), None, key_for=key_for, semantic_query_for=lambda _: None
    )
    with pytest.raises(CacheMiss):
        await late.complete(prompt(None), model="", max_tokens=10, temperature=0)
    failing = ScriptedModel()
    failing.down = True
    chain = Fallback((failing, "gpt-x"), (late, "cache"), (LocalResponder(), "local-responder"))
    stream = chain.stream(prompt("CUS-10001"), model="", max_tokens=300, temperature=0)
    text = "".join([c.text async for c in stream])
    assert "5 business days" in text
    assert stream.answered_by is not None and stream.answered_by.provider == "local"


def test_a_corrupt_entry_is_a_miss_not_a_crash() -> None:
    store = InProcessStore()
    exact = ExactCache(store)
    key = CacheKey.build(prompt(None), prompt="answer@3", tier="standard", scope="public")
    store.set("cache:exact:" + key.digest, b"{not json")
    assert exact.get(key) is None


@pytest.fixture
def redis_client() -> Iterator[object]:
    """A client of the real Redis on loopback; fails in CI when Redis is missing."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as err:
        client.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at 127.0.0.1:6379 is required in CI: {err}")
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({err}); start one to run this test")
    yield client
    client.close()


def test_exact_cache_over_redis_is_shared_between_processes_and_expires(
    redis_client: object,
) -> None:
    namespace = f"deskpilot-test-{uuid.uuid4().hex}:"
    try:
        writer = ExactCache(RedisStore(redis_client, namespace=namespace), ttl_s=30)
        reader = ExactCache(RedisStore(redis_client, namespace=namespace), ttl_s=30)
        key = CacheKey.build(
            prompt("CUS-10001"), prompt="answer@3", tier="standard", scope="CUS-10001"
        )
        answer = CachedAnswer(ANSWER, "gpt-x", "openai", writer.now(), "answer@3")
        writer.put(key, answer)
        assert reader.get(key) == answer
        ttl_ms = redis_client.pttl(namespace + "cache:exact:" + key.digest)  # type: ignore[attr-defined]
        assert 0 < ttl_ms <= 30_000
        other = CacheKey.build(
            prompt("CUS-10002"), prompt="answer@3", tier="standard", scope="CUS-10002"
        )
        assert reader.get(other) is None
    finally:
        keys = list(redis_client.scan_iter(match=namespace + "*"))  # type: ignore[attr-defined]
        if keys:
            redis_client.delete(*keys)  # type: ignore[attr-defined]

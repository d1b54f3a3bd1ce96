"""Validated answers come back for paraphrases, within one knowledge scope and one customer only."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

from providers import Chunk, Completion, Fallback, LocalResponder, Message
from providers.base import ProviderUnavailable
from providers.cached import CacheFallback, CacheMiss
from providers.response_cache import key_builder
from providers.semantic_cache import SemanticCache, semantic_query
from providers.state import InProcessStore, RedisStore
from providers.trace import tracing

# A tiny bag-of-concepts embedding: words that mean the same thing share a dimension.
CONCEPTS = {
    "time": {"long", "days", "when", "soon", "time"},
    "refund": {"refund", "refunds", "money", "back", "reimbursed"},
    "password": {"password", "reset", "login"},
    "parcel": {"parcel", "package", "order", "delivery"},
    "cost": {"much", "amount", "cost"},
}
REFUND_TIME = "How long does a refund take?"
REFUND_PARAPHRASE = "how many days until I get my money back"
ANSWER = "Refunds reach the original payment method within 5 business days."
KB = "kb@2026-11"


def fake_embed(text: str) -> list[float]:
    """Count of words per concept: deterministic, and paraphrases share concepts."""
    words = re.findall(r"[a-z]+", text.lower())
    return [float(sum(w in vocabulary for w in words)) for vocabulary in CONCEPTS.values()]


def cache(threshold: float = 0.92, **kwargs: int) -> SemanticCache:
    """A semantic cache in memory over the fake embedding."""
    return SemanticCache(InProcessStore(), fake_embed, threshold=threshold, **kwargs)


def test_a_paraphrase_of_a_validated_question_finds_its_answer() -> None:
    semantic = cache()
    semantic.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a@3")
    hit = semantic.lookup(REFUND_PARAPHRASE, scope="public", knowledge_scope=KB)
    assert hit is not None and hit.answer == ANSWER and hit.question == REFUND_TIME
    assert hit.similarity >= 0.92 and hit.prompt == "a@3"
    assert (
        semantic.lookup("How do I reset my password?", scope="public", knowledge_scope=KB) is None
    )
    assert semantic.lookup(REFUND_PARAPHRASE, scope="public", knowledge_scope="kb@other") is None


def test_a_customer_scoped_answer_is_never_served_to_another_customer() -> None:
    semantic = cache()
    private = "Your refund for ORD-200001 was sent on 2026-10-12."
    semantic.add_validated(REFUND_TIME, private, scope="CUS-10001", knowledge_scope=KB, prompt="a")
    assert semantic.lookup(REFUND_PARAPHRASE, scope="CUS-10002", knowledge_scope=KB) is None
    assert semantic.lookup(REFUND_PARAPHRASE, scope="public", knowledge_scope=KB) is None
    own = semantic.lookup(REFUND_PARAPHRASE, scope="CUS-10001", knowledge_scope=KB)
    assert own is not None and own.answer == private and own.scope == "CUS-10001"


def test_a_public_answer_serves_every_customer_of_the_knowledge_scope() -> None:
    semantic = cache()
    semantic.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
    for scope in ("public", "CUS-10001", "CUS-10002"):
        hit = semantic.lookup(REFUND_PARAPHRASE, scope=scope, knowledge_scope=KB)
        assert hit is not None and hit.answer == ANSWER and hit.scope == "public"


def test_the_best_match_wins_and_the_same_question_replaces_its_answer() -> None:
    semantic = cache(threshold=0.5)
    semantic.add_validated(REFUND_TIME, "old", scope="public", knowledge_scope=KB, prompt="a")
    semantic.add_validated(
        "How much money back?", "amount", scope="public", knowledge_scope=KB, prompt="a"
    )
    semantic.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
    hit = semantic.lookup("when is my refund back", scope="public", knowledge_scope=KB)
    assert hit is not None and hit.answer == ANSWER


def test_each_scope_keeps_only_its_newest_entries() -> None:
    semantic = cache(max_entries_per_scope=2)
    semantic.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
    semantic.add_validated(
        "Reset my password", "Use the link.", scope="public", knowledge_scope=KB, prompt="a"
    )
    semantic.add_validated(
        "Where is my parcel?", "Tracking.", scope="public", knowledge_scope=KB, prompt="a"
    )
    assert semantic.lookup(REFUND_PARAPHRASE, scope="public", knowledge_scope=KB) is None
    assert semantic.lookup("password reset", scope="public", knowledge_scope=KB) is not None


def request(question: str, customer_id: str | None, audience: str = "customer") -> list[Message]:
    """A single-turn prompt in Deskpilot's format."""
    customer = (
        f"<customer>\nid: {customer_id}\nname: <PERSON_1>\n</customer>\n" if customer_id else ""
    )
    return [
        Message("system", f"<audience>{audience}</audience>\n{customer}"),
        Message("user", question),
    ]


def test_semantic_queries_skip_follow_ups_and_keep_agent_answers_from_customers() -> None:
    assert semantic_query(request(REFUND_TIME, "CUS-10001"), knowledge_scope=KB) == (
        REFUND_TIME,
        "CUS-10001",
        f"{KB}|customer",
    )
    agent = semantic_query(request(REFUND_TIME, None, audience="agent"), knowledge_scope=KB)
    customer = semantic_query(request(REFUND_TIME, None), knowledge_scope=KB)
    assert agent is not None and customer is not None and agent[2] != customer[2]
    follow_up = [
        *request("And for PayPal?", None)[:1],
        Message("user", REFUND_TIME),
        Message("assistant", ANSWER),
        Message("user", "And for PayPal?"),
    ]
    assert semantic_query(follow_up, knowledge_scope=KB) is None


class DownModel:
    """A provider in the middle of an outage."""

    name = "openai"

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        raise ProviderUnavailable("503", provider=self.name, status=503)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        raise ProviderUnavailable("503", provider=self.name, status=503)
        yield Chunk("")  # pragma: no cover - makes this an async generator


def outage_chain(semantic: SemanticCache) -> Fallback:
    """A failing model, then the cache fallback, then the local responder."""
    late = CacheFallback(
        None,
        semantic,
        key_for=key_builder(prompt="a@3", tier="standard"),
        semantic_query_for=lambda messages: semantic_query(messages, knowledge_scope=KB),
    )
    return Fallback((DownModel(), "gpt-x"), (late, "cache"), (LocalResponder(), "local-responder"))


async def test_in_an_outage_a_validated_answer_is_served_and_recorded_as_semantic() -> None:
    semantic = cache()
    question, scope, knowledge = semantic_query(request(REFUND_TIME, None), knowledge_scope=KB) or (
        "",
        "",
        "",
    )
    semantic.add_validated(question, ANSWER, scope=scope, knowledge_scope=knowledge, prompt="a@3")
    with tracing() as trace:
        stream = outage_chain(semantic).stream(
            request(REFUND_PARAPHRASE, "CUS-10002"), model="", max_tokens=300, temperature=0
        )
        chunks = [c async for c in stream]
    assert "".join(c.text for c in chunks) == ANSWER
    assert chunks[-1].finish_reason == "stop"
    assert [(a.provider, a.ok, a.cache_hit) for a in trace.attempts] == [
        ("openai", False, None),
        ("cache", True, "semantic"),
    ]


async def test_in_an_outage_with_an_empty_cache_the_local_responder_answers() -> None:
    with tracing() as trace:
        completion = await outage_chain(cache()).complete(
            request(REFUND_PARAPHRASE, "CUS-10002"), model="", max_tokens=300, temperature=0
        )
    assert completion.model == "local-responder"
    assert [(a.provider, a.error) for a in trace.attempts] == [
        ("openai", "ProviderUnavailable"),
        ("cache", CacheMiss.__name__),
        ("local", None),
    ]


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


def test_validated_answers_are_shared_over_redis(redis_client: object) -> None:
    namespace = f"deskpilot-test-{uuid.uuid4().hex}:"
    try:
        writer = SemanticCache(RedisStore(redis_client, namespace=namespace), fake_embed)
        reader = SemanticCache(RedisStore(redis_client, namespace=namespace), fake_embed)
        writer.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
        hit = reader.lookup(REFUND_PARAPHRASE, scope="CUS-10001", knowledge_scope=KB)
        assert hit is not None and hit.answer == ANSWER
    finally:
        keys = list(redis_client.scan_iter(match=namespace + "*"))  # type: ignore[attr-defined]
        if keys:
            redis_client.delete(*keys)  # type: ignore[attr-defined]


# Measured with all-MiniLM-L6-v2 (see the report): the paraphrase scores about 0.72 against the
# validated question, unrelated questions below 0.2, and a near-verbatim rewording about 0.94.
MINILM_PARAPHRASE_THRESHOLD = 0.70


@pytest.mark.slow
def test_minilm_matches_a_real_paraphrase_and_not_an_unrelated_question() -> None:
    from retrieval import Embedder

    embedder = Embedder.load()

    def embed(text: str) -> list[float]:
        return embedder.embed([text])[0]

    loose = SemanticCache(InProcessStore(), embed, threshold=MINILM_PARAPHRASE_THRESHOLD)
    loose.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
    hit = loose.lookup(REFUND_PARAPHRASE, scope="CUS-10001", knowledge_scope=KB)
    assert hit is not None and hit.answer == ANSWER
    print(f"paraphrase similarity: {hit.similarity:.3f}")
    for unrelated in ("How do I reset my password?", "Where is my parcel?"):
        assert loose.lookup(unrelated, scope="CUS-10001", knowledge_scope=KB) is None
        print(f"unrelated similarity: {loose.similarity(REFUND_TIME, unrelated):.3f}")

    strict = SemanticCache(InProcessStore(), embed)  # the default threshold, 0.92
    strict.add_validated(REFUND_TIME, ANSWER, scope="public", knowledge_scope=KB, prompt="a")
    assert strict.lookup(REFUND_PARAPHRASE, scope="public", knowledge_scope=KB) is None
    rewording = strict.lookup("how long do refunds take?", scope="public", knowledge_scope=KB)
    assert rewording is not None and rewording.similarity > 0.92

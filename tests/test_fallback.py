"""Fallback moves on when a provider fails before answering, and never repeats streamed text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

from providers import (
    AllProvidersFailed,
    Attempt,
    ChatProvider,
    Chunk,
    Completion,
    Fallback,
    LocalResponder,
    Message,
    OpenAIProvider,
    ProviderUnavailable,
    RateLimited,
    StreamInterrupted,
    Usage,
)
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply, Truncate, run_fake_openai

MESSAGES = [
    Message("system", "<audience>customer</audience>\n<customer>\nname: <PERSON_1>\n</customer>"),
    Message("user", "How do refunds work?"),
]


class ScriptedProvider:
    """A provider whose stream yields the given texts and then raises ``error`` (if any)."""

    def __init__(self, name: str, texts: Sequence[str], error: Exception | None = None) -> None:
        self.name = name
        self.texts = list(texts)
        self.error = error
        self.calls: list[str] = []

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        self.calls.append(model)
        if self.error is not None:
            raise self.error
        return Completion("".join(self.texts), Usage(3, 4), model, "stop", 1.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        self.calls.append(model)
        for text in self.texts:
            yield Chunk(text)
        if self.error is not None:
            raise self.error
        yield Chunk("", finish_reason="stop", usage=Usage(3, 4))


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as server:
        yield server


async def drain(stream: AsyncIterator[Chunk], sink: list[Chunk]) -> None:
    async for chunk in stream:
        sink.append(chunk)


def test_fallback_is_a_chat_provider() -> None:
    provider: ChatProvider = Fallback((LocalResponder(), "local-responder"))
    assert isinstance(provider, ChatProvider)


async def test_failure_before_first_token_falls_through_to_the_next_entry(
    fake: FakeOpenAI,
) -> None:
    fake.script(Fail(503))
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    attempts: list[Attempt] = []
    fallback = Fallback(
        (openai, "gpt-4o-mini"), (LocalResponder(), "local-responder"), on_attempt=attempts.append
    )
    chunks: list[Chunk] = []
    stream = fallback.stream(MESSAGES, model="ignored", max_tokens=300, temperature=0.2)
    await drain(stream, chunks)
    await openai.aclose()

    text = "".join(c.text for c in chunks)
    assert text.startswith("Hi <PERSON_1>,") and "Offline responder" in text
    assert chunks[-1].finish_reason == "stop"
    assert fake.requests[0]["model"] == "gpt-4o-mini"  # the entry's model, not the argument
    assert [(a.provider, a.model, a.ok, a.error, a.fallback_depth) for a in attempts] == [
        ("openai", "gpt-4o-mini", False, "ProviderUnavailable", 0),
        ("local", "local-responder", True, None, 1),
    ]
    assert attempts[0].first_token_ms is None and attempts[0].usage is None
    assert attempts[1].first_token_ms is not None and attempts[1].usage == chunks[-1].usage
    assert stream.attempts == attempts and stream.answered_by == attempts[1]


async def test_failure_after_text_interrupts_and_never_repeats_text(fake: FakeOpenAI) -> None:
    fake.script(Truncate(["Refunds are ", "issued within "]))
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    local = ScriptedProvider("local", ["Refunds are issued within 5 days."])
    attempts: list[Attempt] = []
    fallback = Fallback((openai, "gpt-4o-mini"), (local, "m"), on_attempt=attempts.append)
    chunks: list[Chunk] = []
    with pytest.raises(StreamInterrupted):
        await drain(fallback.stream(MESSAGES, model="", max_tokens=300, temperature=0.2), chunks)
    await openai.aclose()

    assert "".join(c.text for c in chunks) == "Refunds are issued within "
    assert local.calls == [], "the fallback must not start over after text was shown"
    assert len(attempts) == 1
    assert attempts[0].ok is False and attempts[0].error == "StreamInterrupted"
    assert attempts[0].first_token_ms is not None


async def test_stream_without_finish_reason_counts_as_a_failure() -> None:
    silent = ScriptedProvider("silent", [])
    silent.stream = _ends_without_finish  # type: ignore[method-assign]
    backup = ScriptedProvider("backup", ["ok"])
    chunks: list[Chunk] = []
    stream = Fallback((silent, "a"), (backup, "b")).stream(
        MESSAGES, model="", max_tokens=10, temperature=0
    )
    await drain(stream, chunks)
    assert "".join(c.text for c in chunks) == "ok"
    assert [a.error for a in stream.attempts] == ["StreamInterrupted", None]


async def _ends_without_finish(
    messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
) -> AsyncIterator[Chunk]:
    for _ in ():
        yield Chunk("")


async def test_all_entries_failing_raises_one_error_naming_each() -> None:
    first = ScriptedProvider("openai", [], RateLimited("slow down", provider="openai"))
    second = ScriptedProvider("backup", [], ProviderUnavailable("down", provider="backup"))
    fallback = Fallback((first, "a"), (second, "b"))
    with pytest.raises(AllProvidersFailed) as caught:
        await drain(fallback.stream(MESSAGES, model="", max_tokens=10, temperature=0), [])
    assert [type(e) for e in caught.value.errors] == [RateLimited, ProviderUnavailable]
    assert "openai: RateLimited" in str(caught.value) and "backup" in str(caught.value)


async def test_bugs_are_not_hidden_by_falling_back() -> None:
    broken = ScriptedProvider("broken", [], KeyError("bug"))
    backup = ScriptedProvider("backup", ["ok"])
    with pytest.raises(KeyError):
        await drain(
            Fallback((broken, "a"), (backup, "b")).stream(
                MESSAGES, model="", max_tokens=10, temperature=0
            ),
            [],
        )
    assert backup.calls == []


async def test_complete_falls_through_and_says_who_answered() -> None:
    failing = ScriptedProvider("openai", [], ProviderUnavailable("down", provider="openai"))
    attempts: list[Attempt] = []
    fallback = Fallback(
        (failing, "gpt-4o-mini"), (LocalResponder(), "local-responder"), on_attempt=attempts.append
    )
    completion = await fallback.complete(MESSAGES, model="", max_tokens=300, temperature=0)
    assert "Offline responder" in completion.text
    assert completion.model == "local-responder"
    assert completion.extra["provider"] == "local" and completion.extra["fallback_depth"] == "1"
    assert [(a.ok, a.fallback_depth) for a in attempts] == [(False, 0), (True, 1)]
    assert attempts[1].usage == completion.usage


async def test_healthy_primary_answers_alone_with_the_usage_it_reported(fake: FakeOpenAI) -> None:
    fake.script(Reply("Refunds take 5 days.", prompt_tokens=20, completion_tokens=6))
    openai = OpenAIProvider(api_key="sk-test", base_url=fake.base_url)
    backup = ScriptedProvider("backup", ["never"])
    stream = Fallback((openai, "gpt-4o-mini"), (backup, "b")).stream(
        MESSAGES, model="", max_tokens=300, temperature=0.2
    )
    chunks: list[Chunk] = []
    await drain(stream, chunks)
    await openai.aclose()
    assert "".join(c.text for c in chunks) == "Refunds take 5 days."
    assert backup.calls == []
    assert stream.answered_by is not None
    assert (stream.answered_by.provider, stream.answered_by.fallback_depth) == ("openai", 0)
    assert stream.answered_by.usage == Usage(20, 6)


async def test_stopping_early_closes_the_provider_stream_and_records_the_attempt() -> None:
    closed: list[bool] = []

    class Endless(ScriptedProvider):
        async def stream(
            self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
        ) -> AsyncIterator[Chunk]:
            try:
                while True:
                    yield Chunk("word ")
            finally:
                closed.append(True)

    attempts: list[Attempt] = []
    stream = Fallback((Endless("endless", []), "m"), on_attempt=attempts.append).stream(
        MESSAGES, model="", max_tokens=10, temperature=0
    )
    async for _ in stream:
        break
    await stream.aclose()
    assert closed == [True]
    assert [(a.ok, a.error) for a in attempts] == [(False, "GeneratorExit")]

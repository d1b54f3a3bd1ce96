"""A scripted ``ChatProvider`` for tests of the wrappers: each call takes the next step.

Steps: ``Answer`` (chunks, usage, finish reason, delays before each chunk; ``finish_reason=None``
ends the stream without one) and ``Raise`` (an error, optionally after some chunks and a delay).
Delays use the given ``Clock`` (a ``FakeClock`` for instant tests) or real ``asyncio.sleep`` (for
timeouts, which need a real pending read to cancel). Every call is recorded with its outcome, so a
test can check that a wrapper closed or cancelled the stream it abandoned.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from providers.base import Chunk, Completion, Message, Usage
from providers.clock import Clock

Outcome = Literal["running", "done", "raised", "closed", "cancelled"]


@dataclass(frozen=True)
class Answer:
    """A normal answer; ``delays[i]`` is the wait before chunk ``i`` (the last: before the end)."""

    chunks: Sequence[str] = ("Hello ", "there.")
    usage: Usage | None = field(default_factory=lambda: Usage(10, 5))
    finish_reason: str | None = "stop"
    delays: Sequence[float] = ()

    @property
    def text(self) -> str:
        """The whole answer."""
        return "".join(self.chunks)


@dataclass(frozen=True)
class Raise:
    """Yield ``after`` (chunks of text), wait ``delay_s``, then raise ``error``."""

    error: BaseException
    after: Sequence[str] = ()
    delay_s: float = 0.0


Step = Answer | Raise


@dataclass
class Call:
    """One call the provider received."""

    kind: Literal["stream", "complete"]
    model: str
    messages: list[Message]
    outcome: Outcome = "running"


class ScriptedProvider:
    """A ``ChatProvider`` that plays ``script`` one step per call (``complete`` or ``stream``)."""

    def __init__(self, name: str, script: Sequence[Step], clock: Clock | None = None) -> None:
        self.name = name
        self.script = list(script)
        self.calls: list[Call] = []
        self._clock = clock

    def enqueue(self, *steps: Step) -> None:
        """Add steps to the end of the script."""
        self.script.extend(steps)

    async def complete(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> Completion:
        """Play the next step as one completion (delays add up before the answer)."""
        call, step = self._next("complete", model, messages)
        try:
            if isinstance(step, Raise):
                await self._sleep(step.delay_s)
                raise step.error
            await self._sleep(sum(step.delays))
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            raise
        except BaseException:
            call.outcome = "raised"
            raise
        call.outcome = "done"
        usage = step.usage or Usage()
        return Completion(step.text, usage, model, step.finish_reason, 1.0)

    async def stream(
        self, messages: Sequence[Message], *, model: str, max_tokens: int, temperature: float
    ) -> AsyncIterator[Chunk]:
        """Play the next step as a stream of chunks."""
        call, step = self._next("stream", model, messages)
        try:
            if isinstance(step, Raise):
                for text in step.after:
                    yield Chunk(text)
                await self._sleep(step.delay_s)
                raise step.error
            for index, text in enumerate(step.chunks):
                await self._sleep(_at(step.delays, index))
                yield Chunk(text)
            await self._sleep(_at(step.delays, len(step.chunks)))
            if step.finish_reason is not None:
                yield Chunk("", finish_reason=step.finish_reason, usage=step.usage)
        except GeneratorExit:
            call.outcome = "closed"
            raise
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            raise
        except BaseException:
            call.outcome = "raised"
            raise
        call.outcome = "done"

    def _next(
        self, kind: Literal["stream", "complete"], model: str, messages: Sequence[Message]
    ) -> tuple[Call, Step]:
        call = Call(kind, model, list(messages))
        self.calls.append(call)
        if not self.script:
            raise AssertionError(f"{self.name}: called more often than scripted")
        return call, self.script.pop(0)

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._clock is not None:
            await self._clock.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


def _at(delays: Sequence[float], index: int) -> float:
    return delays[index] if index < len(delays) else 0.0

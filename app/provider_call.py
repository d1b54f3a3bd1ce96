"""Step 5 of a turn: stream the answer from the route's chain while tracing every attempt."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from providers import ChatProvider, Message, ProviderError, StreamInterrupted
from providers.trace import Attempt, CallTrace, use_trace

log = logging.getLogger(__name__)

# A cache lookup that found nothing is not a call to a provider: it gets no ledger row.
NOT_A_CALL = frozenset({"CacheMiss"})


@dataclass(slots=True)
class StreamedAnswer:
    """The answer's pieces as they streamed, whether it ended properly, and the attempts."""

    pieces: list[str] = field(default_factory=list)
    complete: bool = True
    failed: bool = False
    trace: CallTrace = field(default_factory=CallTrace)

    @property
    def text(self) -> str:
        """The pseudonymised answer text so far."""
        return "".join(self.pieces)

    @property
    def attempts(self) -> list[Attempt]:
        """Every provider attempt of the call, cache misses left out."""
        return [a for a in self.trace.attempts if a.error not in NOT_A_CALL]

    @property
    def answered_by(self) -> Attempt | None:
        """The attempt whose text the user saw: the last successful one, or the last one."""
        attempts = self.attempts
        ok = [a for a in attempts if a.ok]
        return ok[-1] if ok else (attempts[-1] if attempts else None)


async def stream_answer(
    chain: ChatProvider,
    messages: Sequence[Message],
    answer: StreamedAnswer,
    *,
    model: str,
    max_tokens: int,
    temperature: float,
) -> AsyncIterator[str]:
    """Yield answer text as it comes; the call's trace is made current around each step only,
    so nothing leaks into the caller's context between chunks."""
    with use_trace(answer.trace):  # a Fallback binds to the trace current when it is called
        stream = aiter(
            chain.stream(messages, model=model, max_tokens=max_tokens, temperature=temperature)
        )
    try:
        while True:
            with use_trace(answer.trace):
                try:
                    chunk = await anext(stream)
                except StopAsyncIteration:
                    return
            if chunk.text:
                answer.pieces.append(chunk.text)
                yield chunk.text
    except StreamInterrupted:
        # What was shown stays shown; it is stored as partial, never as complete.
        log.warning("answer stream interrupted after %d chunks", len(answer.pieces))
        answer.complete = False
    except ProviderError as exc:
        # Every entry failed, the local responder included: a bug or a broken configuration.
        log.error("no provider could answer (%s)", type(exc).__name__)
        answer.complete = False
        answer.failed = True
    finally:
        closer = getattr(stream, "aclose", None)
        if closer is not None:
            with use_trace(answer.trace):
                await closer()

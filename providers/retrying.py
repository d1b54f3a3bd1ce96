"""Retry failed provider calls with exponential backoff and jitter: the one retry layer.

SDKs run with ``max_retries=0`` so that every try is one attempt in the ledger. A try is repeated
only when the error says it may help (``retryable``: 5xx, 429, timeouts, a stream cut before any
text) and never once text has been streamed: the user already saw it, and a second answer would
repeat it, so that failure becomes ``StreamInterrupted``. A 429 with ``Retry-After`` waits as
long as asked, up to a cap; a longer wait gives up at once so the fallback answers instead.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from providers.base import (
    ChatProvider,
    Chunk,
    Completion,
    Message,
    ProviderError,
    RateLimited,
    StreamInterrupted,
)
from providers.clock import Clock, SystemClock
from providers.trace import current_trace


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many tries, how long to wait between them, and how long a server may make us wait."""

    max_attempts: int = 3  # tries in all, the first included
    base_delay_s: float = 0.25  # wait before the first retry; doubles for each further retry
    max_delay_s: float = 4.0
    retry_after_cap_s: float = 10.0  # obey Retry-After up to this; give up when asked for longer
    jitter: float = 0.5  # fraction of each backoff drawn at random (1.0 is "full jitter")
    rng: random.Random | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))
        draw = self.rng.random() if self.rng is not None else random.random()
        return ceiling * (1.0 - self.jitter * draw)

    def delay(self, error: BaseException, retry: int) -> float | None:
        """Seconds to wait before retry ``retry`` after ``error``; None to give up."""
        if retry >= self.max_attempts or not getattr(error, "retryable", False):
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.retry_after_cap_s else None
        return self.backoff(retry)


class Retrying:
    """A ``ChatProvider`` that retries ``inner`` according to a ``RetryPolicy``."""

    def __init__(
        self,
        inner: ChatProvider,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.policy = policy or RetryPolicy()
        self._clock = clock or SystemClock()

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece, retrying failures the policy allows."""
        trace = current_trace()
        retry = 0
        while True:
            if trace is not None:
                trace.retry = retry
            try:
                return await self.inner.complete(
                    messages, model=model, max_tokens=max_tokens, temperature=temperature
                )
            except ProviderError as err:
                retry += 1
                wait = self.policy.delay(err, retry)
                if wait is None:
                    raise
            await self._clock.sleep(wait)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Stream, retrying failures that happen before any text was yielded."""
        trace = current_trace()
        retry = 0
        while True:
            if trace is not None:
                trace.retry = retry
            shown_text = False
            inner = self.inner.stream(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
            try:
                async for chunk in inner:
                    shown_text = shown_text or bool(chunk.text)
                    yield chunk
                return
            except ProviderError as err:
                if shown_text:
                    if isinstance(err, StreamInterrupted):
                        raise
                    raise StreamInterrupted(
                        f"{self.name} failed after partial text ({type(err).__name__})",
                        provider=err.provider or self.name,
                        status=err.status,
                    ) from err
                retry += 1
                wait = self.policy.delay(err, retry)
                if wait is None:
                    raise
            finally:
                await _aclose(inner)
            await self._clock.sleep(wait)


async def _aclose(stream: AsyncIterator[Chunk]) -> None:
    """Close a provider stream now rather than at garbage collection: it may hold a connection."""
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()

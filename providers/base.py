"""The provider interface every model adapter implements, and the values it exchanges.

Business code depends on these types only; adapters translate SDK objects and SDK errors into them
at their boundary, so nothing else ever imports ``openai`` (or any other vendor SDK).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message as sent to a provider."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call; usages add up with ``+``."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a streamed answer.

    The last chunk of a complete stream carries ``finish_reason``; ``usage`` is set on the chunk
    where the provider reports it (usually the last). A stream that ends without a finish reason
    was cut short.
    """

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole answer with its accounting."""

    text: str
    usage: Usage
    model: str
    finish_reason: str | None
    latency_ms: float
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ChatProvider(Protocol):
    """A language model (or a stand-in for one) that answers chat messages."""

    name: str

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Answer as a stream of chunks."""
        ...


class ProviderError(Exception):
    """A provider call failed; subclasses say how, so callers can decide what to do next."""

    retryable: bool = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered with a server error (5xx)."""

    retryable = True


class RateLimited(ProviderError):
    """The provider asked us to slow down (429); ``retry_after`` is in seconds when given."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    """The provider took too long to connect, to start, or between chunks."""

    retryable = True


class StreamInterrupted(ProviderError):
    """A stream broke off or ended without a finish reason: the text so far is partial."""

    retryable = True


class RequestRejected(ProviderError):
    """The provider refused the request itself (400/401/403/404/422): retrying cannot help."""

    retryable = False


class CircuitOpen(ProviderUnavailable):
    """A circuit breaker refused the call untried: retrying now cannot help, falling back can."""

    retryable = False


class BulkheadFull(ProviderUnavailable):
    """Too many calls were in flight to this provider and the wait for a slot timed out."""

    retryable = False

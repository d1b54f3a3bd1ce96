"""The call trace: every attempt of one logical call, retries, fallbacks and cache hits included.

A ``CallTrace`` lives in a ``ContextVar`` for the duration of one call. Wrappers never set that
variable inside an async generator (the value would leak into the consumer's context); they read
``current_trace()`` and MUTATE the object: ``Fallback`` sets ``fallback_depth`` before each entry,
``Retrying`` sets ``retry`` before each try, a breaker sets ``breaker_state``, and
``Instrumented`` records one ``Attempt`` per call of the adapter it wraps, copying those fields.
With no trace active, every layer works and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from types import TracebackType

from providers.base import Usage

_CURRENT: ContextVar[CallTrace | None] = ContextVar("deskpilot_call_trace", default=None)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one provider: what it was, how it went, what it cost in tokens and time."""

    provider: str
    model: str
    ok: bool
    # The error's class name, never its message; "GeneratorExit" or "CancelledError" when the
    # caller stopped the stream early.
    error: str | None
    usage: Usage | None
    latency_ms: float
    fallback_depth: int  # 0 for the primary entry, 1 for the first fallback, ...
    first_token_ms: float | None
    entry: str = ""  # the model entry's name in the provider configuration
    retry: int = 0  # 0 for the first try, 1 for the first retry, ...
    cache_hit: str | None = None  # None, "exact" or "semantic"
    breaker_state: str | None = None  # "closed", "open" or "half_open" when the call was made


@dataclass(slots=True)
class CallTrace:
    """The attempts of one call so far, and where in the chain the next one happens."""

    attempts: list[Attempt] = field(default_factory=list)
    fallback_depth: int = 0
    retry: int = 0
    breaker_state: str | None = None
    route_reason: str = ""

    def record(self, attempt: Attempt) -> None:
        """Append one attempt."""
        self.attempts.append(attempt)

    def rename_cancelled(self, since: int, error: str) -> None:
        """Relabel attempts from index ``since`` that ended in CancelledError as ``error``."""
        # A deadline cancels the adapter's pending read, so the layer that recorded the attempt
        # saw only the cancellation; the timeout layer knows the real cause and names it here.
        for index in range(since, len(self.attempts)):
            if self.attempts[index].error == "CancelledError":
                self.attempts[index] = replace(self.attempts[index], error=error)


class TraceScope:
    """Makes one trace current inside a ``with`` block; a class, as it is entered per chunk."""

    __slots__ = ("_token", "_trace")

    def __init__(self, trace: CallTrace) -> None:
        self._trace = trace
        self._token: Token[CallTrace | None] | None = None

    def __enter__(self) -> CallTrace:
        self._token = _CURRENT.set(self._trace)
        return self._trace

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
            self._token = None


def use_trace(trace: CallTrace) -> TraceScope:
    """Make ``trace`` the current trace inside a ``with`` block."""
    return TraceScope(trace)


def current_trace() -> CallTrace | None:
    """The active trace, if any."""
    return _CURRENT.get()


@contextmanager
def tracing() -> Iterator[CallTrace]:
    """A new trace active for the ``with`` block only."""
    with use_trace(CallTrace()) as trace:
        yield trace


def record_refusal(
    *, provider: str, model: str, entry: str, error: str, breaker_state: str | None = None
) -> None:
    """Record a call a guard refused before it reached the provider (open circuit, full queue).

    The refusal names its model entry, so the ledger can say which entry was skipped and why.
    """
    trace = current_trace()
    if trace is None:
        return
    trace.record(
        Attempt(
            provider=provider,
            model=model,
            ok=False,
            error=error,
            usage=None,
            latency_ms=0.0,
            fallback_depth=trace.fallback_depth,
            first_token_ms=None,
            entry=entry,
            retry=trace.retry,
            breaker_state=breaker_state,
        )
    )

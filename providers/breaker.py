"""A circuit breaker per model entry: stop calling a provider that keeps failing, probe it later.

States:

- ``closed``: calls pass; retryable failures (``ProviderUnavailable``, ``ProviderTimeout``,
  ``RateLimited``, ``StreamInterrupted``) are counted over a sliding ``window_s``. Reaching
  ``failure_threshold`` opens the circuit. Client errors (``RequestRejected``) and refusals of
  other wrappers (``CircuitOpen``, ``BulkheadFull``) are not retryable and never count.
- ``open``: calls are refused with ``CircuitOpen`` without calling the provider, for ``open_s``.
- ``half_open``: up to ``half_open_max_calls`` probe calls pass at a time; a success closes the
  circuit, a retryable failure opens it again. A probe stopped early (stream closed, task
  cancelled) or rejected as a client error frees its slot and decides nothing.

A stream succeeds when a chunk carries a ``finish_reason``; a stream that ends without one, or
fails after text, counts as a failure.

The state is JSON in a ``KeyValueStore`` under ``breaker:<key>``, so processes that share a
``RedisStore`` share the breaker. Stored times must mean the same thing to every process, and
each host has its own monotonic clock, so the real clock (no ``clock`` or a ``SystemClock``) is
read as wall time, ``time.time()``; any other clock (a test's ``FakeClock``) is read through its
``monotonic()``.
Updates are read-modify-write without a lock: within one event loop they are atomic (no await in
between); across processes a race can at worst let an extra probe through or drop one counted
failure, which a breaker tolerates.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from providers.base import (
    ChatProvider,
    Chunk,
    CircuitOpen,
    Completion,
    Message,
    ProviderError,
)
from providers.clock import Clock, SystemClock
from providers.state import KeyValueStore
from providers.trace import current_trace, record_refusal

BreakerState = Literal["closed", "open", "half_open"]
TransitionHook = Callable[[str, str, str], None]

# An open or half-open record nobody touched for a day is dropped: the entry was probably
# removed from the configuration, and a forgotten breaker simply starts closed again.
_IDLE_TTL_S = 86_400.0


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When to open the circuit, how long to keep it open, how many probes to let through."""

    failure_threshold: int = 5
    window_s: float = 30.0
    open_s: float = 20.0
    half_open_max_calls: int = 1

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.half_open_max_calls < 1:
            raise ValueError("failure_threshold and half_open_max_calls must be at least 1")
        if self.window_s <= 0 or self.open_s < 0:
            raise ValueError("window_s must be positive and open_s not negative")


@dataclass(slots=True)
class _Record:
    """The stored state of one breaker."""

    state: BreakerState = "closed"
    failures: list[float] = field(default_factory=list)  # times of recent counted failures
    opened_at: float | None = None
    probes: list[float] = field(default_factory=list)  # start times of probes in flight

    @classmethod
    def parse(cls, raw: bytes | None) -> _Record:
        """The record in ``raw``; closed when absent or unreadable."""
        if raw is None:
            return cls()
        try:
            data = json.loads(raw)
            state = data["state"]
            if state not in ("closed", "open", "half_open"):
                return cls()
            opened_at = data.get("opened_at")
            return cls(
                state=state,
                failures=[float(t) for t in data.get("failures", [])],
                opened_at=None if opened_at is None else float(opened_at),
                probes=[float(t) for t in data.get("probes", [])],
            )
        except (ValueError, KeyError, TypeError):
            return cls()

    def dump(self) -> bytes:
        """The record as JSON bytes."""
        return json.dumps(
            {
                "state": self.state,
                "failures": self.failures,
                "opened_at": self.opened_at,
                "probes": self.probes,
            }
        ).encode()


class Breaker:
    """A ``ChatProvider`` that stops calling ``inner`` while it keeps failing."""

    def __init__(
        self,
        inner: ChatProvider,
        *,
        key: str,
        store: KeyValueStore,
        policy: BreakerPolicy = BreakerPolicy(),
        clock: Clock | None = None,
        on_transition: TransitionHook | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.key = key
        self.policy = policy
        self.on_transition = on_transition
        self._store = store
        self._store_key = f"breaker:{key}"
        self._now: Callable[[], float] = (
            time.time if clock is None or isinstance(clock, SystemClock) else clock.monotonic
        )

    def state(self) -> BreakerState:
        """``closed``, ``open`` or ``half_open`` as the next call would find it."""
        record = self._load()
        if record.state == "open" and self._cooled_down(record, self._now()):
            return "half_open"
        return record.state

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer through ``inner`` unless the circuit is open."""
        probe = self._admit(model)
        try:
            completion = await self.inner.complete(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
        except ProviderError as err:
            self._settle(probe, failed=err.retryable, succeeded=False)
            raise
        except BaseException:
            self._settle(probe, failed=False, succeeded=False)
            raise
        self._settle(probe, failed=False, succeeded=True)
        return completion

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Stream through ``inner`` unless the circuit is open (checked at the first chunk)."""
        return self._stream(messages, model, max_tokens, temperature)

    async def _stream(
        self, messages: Sequence[Message], model: str, max_tokens: int, temperature: float
    ) -> AsyncGenerator[Chunk, None]:
        probe = self._admit(model)
        settled = False
        inner: AsyncIterator[Chunk] | None = None
        try:
            inner = self.inner.stream(
                messages, model=model, max_tokens=max_tokens, temperature=temperature
            )
            async for chunk in inner:
                # Settle on the finish chunk itself: a consumer may stop reading right after it.
                if chunk.finish_reason is not None and not settled:
                    settled = True
                    self._settle(probe, failed=False, succeeded=True)
                yield chunk
            if not settled:  # ended without a finish reason: the answer was cut short
                settled = True
                self._settle(probe, failed=True, succeeded=False)
        except ProviderError as err:
            if not settled:
                settled = True
                self._settle(probe, failed=err.retryable, succeeded=False)
            raise
        finally:
            if not settled:  # closed early, cancelled, or a bug: neither success nor failure
                self._settle(probe, failed=False, succeeded=False)
            closer = getattr(inner, "aclose", None)
            if closer is not None:
                await closer()

    def _refuse(self, model: str, state: str) -> CircuitOpen:
        record_refusal(
            provider=self.name,
            model=model,
            entry=self.key,
            error="CircuitOpen",
            breaker_state=state,
        )
        return CircuitOpen(f"circuit {state.replace('_', '-')} for {self.key}", provider=self.name)

    def _admit(self, model: str) -> float | None:
        """Let a call through (returning its probe time when half-open) or raise ``CircuitOpen``."""
        now = self._now()
        record = self._load()
        if record.state == "open":
            if not self._cooled_down(record, now):
                raise self._refuse(model, "open")
            self._move(record, "half_open", now)
        probe: float | None = None
        if record.state == "half_open":
            # A probe older than open_s belongs to a process that died or a call that hung.
            live = [t for t in record.probes if 0 <= now - t < self.policy.open_s]
            if len(live) >= self.policy.half_open_max_calls:
                raise self._refuse(model, "half_open")
            probe = now
            record.probes = [*live, now]
            self._write(record, "half_open")
        trace = current_trace()
        if trace is not None:
            trace.breaker_state = record.state
        return probe

    def _settle(self, probe: float | None, *, failed: bool, succeeded: bool) -> None:
        """Record how a call ended: a success, a counted failure, or neither."""
        now = self._now()
        record = self._load()
        if record.state == "half_open":
            if succeeded:
                self._move(record, "closed", now)
            elif failed:
                self._move(record, "open", now)
            elif probe is not None and probe in record.probes:
                record.probes.remove(probe)
                self._write(record, "half_open")
        elif record.state == "closed" and failed:
            window = self.policy.window_s
            record.failures = [t for t in record.failures if 0 <= now - t < window] + [now]
            if len(record.failures) >= self.policy.failure_threshold:
                self._move(record, "open", now)
            else:
                self._write(record, "closed")
        # Open: a late result of a call admitted before the circuit opened changes nothing.

    def _cooled_down(self, record: _Record, now: float) -> bool:
        """Whether an open circuit has waited ``open_s`` (or the wall clock stepped back)."""
        if record.opened_at is None:
            return True
        elapsed = now - record.opened_at
        return elapsed < 0 or elapsed >= self.policy.open_s

    def _load(self) -> _Record:
        return _Record.parse(self._store.get(self._store_key))

    def _move(self, record: _Record, state: BreakerState, now: float) -> None:
        """Change ``record`` to ``state`` with fresh counters, store it, report the change."""
        old = record.state
        record.state = state
        record.probes = []
        if state != "half_open":
            record.failures = []
            record.opened_at = now if state == "open" else None
        self._write(record, old)

    def _write(self, record: _Record, old: BreakerState) -> None:
        """Store ``record`` (a closed breaker without failures is simply absent)."""
        if record.state == "closed" and not record.failures:
            self._store.delete(self._store_key)
        elif record.state == "closed":
            self._store.set(self._store_key, record.dump(), ttl_s=self.policy.window_s)
        else:
            self._store.set(self._store_key, record.dump(), ttl_s=_IDLE_TTL_S)
        if old != record.state and self.on_transition is not None:
            self.on_transition(self.key, old, record.state)

"""Atomic spend counters for budgets: in-process (one lock) or Redis (one Lua script).

Amounts are integer micro-dollars. ``reserve`` adds an amount to several counters at once, or to
none when any would pass its limit, in one atomic step; that is what keeps a budget holding when
many turns (threads, tasks or processes) reserve at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class CounterKey:
    """One counter: its key, its limit in micro-dollars and how long it lives (None: forever)."""

    key: str
    limit: int
    ttl_s: int | None


class SpendCounters(Protocol):
    """Check-and-reserve across several counters, and later adjustments."""

    def reserve(self, keys: Sequence[CounterKey], amount: int) -> tuple[bool, list[int]]:
        """Add ``amount`` to every counter if none passes its limit; (granted, values after)."""
        ...

    def adjust(self, keys: Sequence[CounterKey], delta: int) -> None:
        """Add ``delta`` (may be negative) to the counters that still exist."""
        ...

    def value(self, key: str) -> int:
        """The counter's current value (0 when absent or expired)."""
        ...


class InProcessCounters:
    """Counters in a dict behind one lock: the embedded default (one process)."""

    def __init__(self, sweep_every: int = 1000) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, tuple[int, float | None]] = {}
        self._sweep_every = sweep_every
        self._reserves = 0

    def _get(self, key: str, now: float) -> int:
        item = self._values.get(key)
        if item is None:
            return 0
        value, expires = item
        if expires is not None and now >= expires:
            del self._values[key]
            return 0
        return value

    def reserve(self, keys: Sequence[CounterKey], amount: int) -> tuple[bool, list[int]]:
        """Add ``amount`` to every counter if none passes its limit; (granted, values after)."""
        now = time.monotonic()
        with self._lock:
            self._reserves += 1
            if self._reserves % self._sweep_every == 0:
                self._sweep(now)
            current = [self._get(k.key, now) for k in keys]
            if any(value + amount > k.limit for value, k in zip(current, keys, strict=True)):
                return False, current
            after = []
            for value, k in zip(current, keys, strict=True):
                old = self._values.get(k.key)
                expires = old[1] if old else (None if k.ttl_s is None else now + k.ttl_s)
                self._values[k.key] = (value + amount, expires)
                after.append(value + amount)
            return True, after

    def _sweep(self, now: float) -> None:
        # Past days' counters are never read again; drop them so a long-lived process stays small.
        expired = [
            k for k, (_, expires) in self._values.items() if expires is not None and now >= expires
        ]
        for key in expired:
            del self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def adjust(self, keys: Sequence[CounterKey], delta: int) -> None:
        """Add ``delta`` to the counters that still exist (an expired day stays gone)."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                value = self._get(k.key, now)
                if k.key in self._values:
                    self._values[k.key] = (value + delta, self._values[k.key][1])

    def value(self, key: str) -> int:
        """The counter's current value (0 when absent or expired)."""
        with self._lock:
            return self._get(key, time.monotonic())


# KEYS: the counters. ARGV[1]: amount; ARGV[1+i]: limit of KEYS[i]; ARGV[1+n+i]: its TTL
# in seconds (0: none).
_RESERVE_LUA = """
local n = #KEYS
local amount = tonumber(ARGV[1])
local values = {}
for i = 1, n do
  values[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if values[i] + amount > tonumber(ARGV[1 + i]) then
    table.insert(values, 1, 0)
    return values
  end
end
for i = 1, n do
  local ttl = tonumber(ARGV[1 + n + i])
  values[i] = redis.call('INCRBY', KEYS[i], amount)
  if ttl > 0 and redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
table.insert(values, 1, 1)
return values
"""

# Settling after a day's key expired must not recreate it without a TTL.
_ADJUST_LUA = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], tonumber(ARGV[1]))
  end
end
return 0
"""


class RedisCounters:
    """The same counters in Redis, shared by every process (scale mode)."""

    def __init__(self, client: Any, namespace: str = "deskpilot:") -> None:
        # A redis.Redis client; typed loosely so importing this module never needs redis.
        self._client = client
        self._ns = namespace
        self._reserve = client.register_script(_RESERVE_LUA)
        self._adjust = client.register_script(_ADJUST_LUA)

    def reserve(self, keys: Sequence[CounterKey], amount: int) -> tuple[bool, list[int]]:
        """Add ``amount`` to every counter if none passes its limit; (granted, values after)."""
        args = [amount, *(k.limit for k in keys), *((k.ttl_s or 0) for k in keys)]
        result = self._reserve(keys=[self._ns + k.key for k in keys], args=args)
        return bool(result[0]), [int(v) for v in result[1:]]

    def adjust(self, keys: Sequence[CounterKey], delta: int) -> None:
        """Add ``delta`` to the counters that still exist."""
        if delta:
            self._adjust(keys=[self._ns + k.key for k in keys], args=[delta])

    def value(self, key: str) -> int:
        """The counter's current value (0 when absent or expired)."""
        raw = self._client.get(self._ns + key)
        return 0 if raw is None else int(raw)

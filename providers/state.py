"""Shared state behind one small interface: in-process by default, Redis in scale mode.

Caches and circuit-breaker state live here, so several app processes can share them by pointing
at the same Redis. Values are bytes; callers serialise.
"""

from __future__ import annotations

from typing import Protocol

from providers.clock import Clock, SystemClock

NAMESPACE = "deskpilot:"


class KeyValueStore(Protocol):
    """Get, set with an optional time-to-live, delete."""

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        ...

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value``; it expires after ``ttl_s`` seconds when given."""
        ...

    def delete(self, key: str) -> None:
        """Remove the key if present."""
        ...


class InProcessStore:
    """A dict with expiry: the embedded default (one process)."""

    def __init__(self, clock: Clock | None = None, max_items: int = 10_000) -> None:
        self._clock = clock or SystemClock()
        self._items: dict[str, tuple[bytes, float | None]] = {}
        self._max_items = max_items

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and self._clock.monotonic() >= expires:
            del self._items[key]
            return None
        return value

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value``; the oldest entry goes when the store is full."""
        if key not in self._items and len(self._items) >= self._max_items:
            self._items.pop(next(iter(self._items)))
        expires = None if ttl_s is None else self._clock.monotonic() + ttl_s
        self._items[key] = (value, expires)

    def delete(self, key: str) -> None:
        """Remove the key if present."""
        self._items.pop(key, None)

    def snapshot(self) -> dict[str, bytes]:
        """Every live key and value, for inspection (egress checks, debugging)."""
        return {key: value for key in list(self._items) if (value := self.get(key)) is not None}


class RedisStore:
    """The same interface over Redis, for several processes (scale mode)."""

    def __init__(self, client: object, namespace: str = NAMESPACE) -> None:
        # A redis.Redis client; typed loosely so importing this module never needs redis.
        self._client = client
        self._ns = namespace

    def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        value = self._client.get(self._ns + key)  # type: ignore[attr-defined]
        return value if value is None else bytes(value)

    def set(self, key: str, value: bytes, ttl_s: float | None = None) -> None:
        """Store ``value`` with a millisecond time-to-live when given."""
        px = None if ttl_s is None else max(1, int(ttl_s * 1000))
        self._client.set(self._ns + key, value, px=px)  # type: ignore[attr-defined]

    def delete(self, key: str) -> None:
        """Remove the key if present."""
        self._client.delete(self._ns + key)  # type: ignore[attr-defined]

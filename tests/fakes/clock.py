"""A clock for tests: time moves only when something sleeps or the test advances it."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic time under the test's control; ``sleep`` advances it without waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """The current fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the sleep, advance time, and yield to the event loop once."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move time forward (an outage that lasts, a breaker's cool-down)."""
        self.now += seconds

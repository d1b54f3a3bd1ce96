"""Event-loop lag: how late a ticker task wakes up from a short sleep.

A coroutine that holds the loop (CPU work or a blocking call outside a thread) delays every
other task; the ticker sees that delay as oversleep. The figure is what a user's stream waits,
at worst, on top of its own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import time


class LoopLagProbe:
    """A ticker task that records how far each ``interval_s`` sleep overshoots, in ms."""

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.samples_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopLagProbe:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _tick(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            late = time.perf_counter() - started - self.interval_s
            self.samples_ms.append(max(0.0, late) * 1000.0)

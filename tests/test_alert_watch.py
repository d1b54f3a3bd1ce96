"""The in-app alert watch keeps checking after a failed check."""

from __future__ import annotations

import asyncio
from typing import Any

from app.alert_watch import watch_alerts


class FlakyMonitor:
    """Fails its first check, then counts successful ones."""

    def __init__(self) -> None:
        self.calls = 0

    def check(self) -> tuple[list[Any], list[Any]]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("database went away")
        return [], []


async def test_watch_survives_a_failed_check_and_runs_again() -> None:
    monitor = FlakyMonitor()
    task = asyncio.create_task(watch_alerts(monitor, every_s=0.01))  # type: ignore[arg-type]
    for _ in range(200):
        if monitor.calls >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert monitor.calls >= 3
    assert not task.done() or task.cancelled()

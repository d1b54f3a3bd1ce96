"""The app checks its alert thresholds itself, every minute, so no cron job is needed.

Each process runs the check; the audit log's cooldown keeps one breach from being recorded
twice within `cooldown_minutes` (two processes racing at the same second may both record it).
"""

from __future__ import annotations

import asyncio
import logging

from app.alerts import AlertConfig, AlertMonitor
from app.settings import Settings
from app.storage.database import SessionFactory

log = logging.getLogger(__name__)
CHECK_EVERY_S = 60.0


async def watch_alerts(monitor: AlertMonitor, every_s: float = CHECK_EVERY_S) -> None:
    """Check forever; a failed check is logged and the next one runs on time."""
    while True:
        try:
            await asyncio.to_thread(monitor.check)
        except Exception as exc:  # the watch must outlive a database hiccup
            log.error("alert check failed: %s", type(exc).__name__)
        await asyncio.sleep(every_s)


def start_alert_watch(settings: Settings, sessions: SessionFactory) -> asyncio.Task[None]:
    """Start the periodic check on the running loop; returns its task."""
    monitor = AlertMonitor(sessions, AlertConfig.load(settings.alerts_file))
    return asyncio.get_running_loop().create_task(watch_alerts(monitor), name="alert-watch")

"""Requests per minute per user, with the ``limits`` library: in memory, or on Redis (scale mode).

A moving window counts every request of the last minute, so a burst at the turn of a minute
cannot double the allowance the way a fixed window lets it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from app.errors import DeskpilotError


class RateLimitExceeded(DeskpilotError):
    """The user sent more requests than allowed; the message says how long to wait."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether one request may go ahead, and when the user may try again if not."""

    allowed: bool
    retry_after_s: int = 0

    @property
    def message(self) -> str:
        """What to tell the user when the request was refused."""
        if self.allowed:
            return ""
        unit = "second" if self.retry_after_s == 1 else "seconds"
        return (
            "You are sending questions faster than this assistant allows. "
            f"Please wait {self.retry_after_s} {unit} and try again."
        )


class UserRateLimiter:
    """``per_minute`` requests in any 60 seconds for each user key."""

    def __init__(
        self, per_minute: int, storage_uri: str = "memory://", key_prefix: str = "deskpilot-rl"
    ) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        options: dict[str, Any] = {}
        if not storage_uri.startswith("memory"):
            options["key_prefix"] = key_prefix
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerMinute(per_minute)

    def hit(self, user_key: str) -> RateDecision:
        """Count one request of ``user_key``; refused requests are not counted."""
        if self._limiter.hit(self._item, user_key):
            return RateDecision(True)
        stats = self._limiter.get_window_stats(self._item, user_key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return RateDecision(False, wait)

    def reset(self) -> None:
        """Forget every count (tests, or an operator clearing a mistake)."""
        self._storage.reset()


def build_rate_limiter(per_minute: int, redis_url: str | None) -> UserRateLimiter:
    """In memory, or on Redis when a Redis URL is configured (shared by every process)."""
    return UserRateLimiter(per_minute, redis_url or "memory://")

"""Read how long a provider asked us to wait from its response headers."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import UTC

# Waits longer than this are treated as nonsense rather than obeyed.
_MAX_RETRY_AFTER_S = 3600.0


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), if any."""
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return _bounded(millis / 1000.0)
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _number(raw)
    if seconds is not None:
        return _bounded(seconds)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT even when the zone is missing
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return _bounded(max(0.0, when.timestamp() - current))


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def _bounded(seconds: float) -> float | None:
    if seconds != seconds or seconds < 0 or seconds > _MAX_RETRY_AFTER_S:  # NaN, negative, absurd
        return None
    return seconds

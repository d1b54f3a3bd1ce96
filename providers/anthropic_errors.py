"""Translate ``anthropic`` SDK (and raw stream transport) exceptions into Deskpilot's errors.

Messages name the provider, the HTTP status and the error class or type only: the API's own
message can quote the request, and error messages end up in logs and the call ledger, where raw
content must never go. The SDK lets transport errors raised while a stream is being read escape
as ``httpx2`` exceptions, so those are translated here too.
"""

from __future__ import annotations

import re

import anthropic
import httpx2

from providers.base import (
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from providers.retry_after import parse_retry_after

# Error types and codes are short identifiers (``overloaded_error``); anything else is dropped.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# Types of an ``event: error`` inside a 200 stream that mean the service, not the request, failed.
_UNAVAILABLE_TYPES = frozenset({"overloaded_error", "api_error"})


def translate_anthropic_error(err: Exception, provider: str) -> ProviderError:
    """Map one SDK, transport or stream-parsing exception to the matching ``ProviderError``."""
    kind = type(err).__name__
    if isinstance(err, anthropic.APITimeoutError | httpx2.TimeoutException):
        return ProviderTimeout(f"{provider}: request timed out ({kind})", provider=provider)
    if isinstance(err, anthropic.APIConnectionError | httpx2.HTTPError):
        return ProviderUnavailable(f"{provider}: connection failed ({kind})", provider=provider)
    if isinstance(err, anthropic.APIStatusError):
        if err.status_code < 400:  # an ``event: error`` that arrived inside a 200 stream
            return _from_stream_error(err, provider)
        return _from_status(err, provider)
    if isinstance(err, ValueError):  # an event whose JSON did not parse
        return ProviderUnavailable(f"{provider}: malformed stream event", provider=provider)
    return ProviderUnavailable(f"{provider}: unexpected SDK error ({kind})", provider=provider)


def _from_status(err: anthropic.APIStatusError, provider: str) -> ProviderError:
    status = err.status_code
    detail = _detail(err, provider, f"HTTP {status}")
    if status == 429:
        retry_after = parse_retry_after(dict(err.response.headers.items()))
        return RateLimited(detail, provider=provider, status=status, retry_after=retry_after)
    if status == 408:
        return ProviderTimeout(detail, provider=provider, status=status)
    if status >= 500 or status == 409:  # 529 is Anthropic's "overloaded"
        return ProviderUnavailable(detail, provider=provider, status=status)
    return RequestRejected(detail, provider=provider, status=status)


def _from_stream_error(err: anthropic.APIStatusError, provider: str) -> ProviderError:
    detail = _detail(err, provider, "stream error event")
    if err.type in _UNAVAILABLE_TYPES:
        return ProviderUnavailable(detail, provider=provider)
    if err.type == "rate_limit_error":
        return RateLimited(detail, provider=provider, status=None)
    if err.type == "timeout_error":
        return ProviderTimeout(detail, provider=provider)
    return RequestRejected(detail, provider=provider)


def _detail(err: anthropic.APIStatusError, provider: str, what: str) -> str:
    codes = [c for c in (err.type, err.error_code) if c and _SAFE_CODE.match(c)]
    suffix = f" [{', '.join(codes)}]" if codes else ""
    return f"{provider}: {what} {type(err).__name__}{suffix}"

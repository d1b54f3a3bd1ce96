"""Translate ``openai`` SDK exceptions into Deskpilot's provider errors.

Messages name the provider, the HTTP status and the error class or code only: the SDK's own
message can quote the request (a rejected parameter, a piece of the prompt), and error messages
end up in logs and the call ledger, where raw content must never go.
"""

from __future__ import annotations

import re

import openai

from providers.base import (
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from providers.retry_after import parse_retry_after

# Error codes are short identifiers such as ``insufficient_quota``; anything else is dropped.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def translate_openai_error(err: openai.OpenAIError, provider: str) -> ProviderError:
    """Map one SDK exception to the matching ``ProviderError`` subclass."""
    kind = type(err).__name__
    if isinstance(err, openai.APITimeoutError):
        return ProviderTimeout(f"{provider}: request timed out", provider=provider)
    if isinstance(err, openai.APIConnectionError):
        return ProviderUnavailable(f"{provider}: connection failed ({kind})", provider=provider)
    if isinstance(err, openai.APIStatusError):
        return _from_status(err, provider)
    return ProviderUnavailable(f"{provider}: unexpected SDK error ({kind})", provider=provider)


def _from_status(err: openai.APIStatusError, provider: str) -> ProviderError:
    status = err.status_code
    code = _safe_code(err)
    detail = f"{provider}: HTTP {status} {type(err).__name__}" + (f" [{code}]" if code else "")
    if status == 429 and code == "insufficient_quota":
        # Out of credit: waiting does not help, so this must not look retryable.
        return RequestRejected(detail, provider=provider, status=status)
    if status == 429:
        retry_after = parse_retry_after(dict(err.response.headers.items()))
        return RateLimited(detail, provider=provider, status=status, retry_after=retry_after)
    if status == 408:
        return ProviderTimeout(detail, provider=provider, status=status)
    if status >= 500 or status == 409:
        return ProviderUnavailable(detail, provider=provider, status=status)
    return RequestRejected(detail, provider=provider, status=status)


def _safe_code(err: openai.APIStatusError) -> str | None:
    for candidate in (err.code, err.type):
        if candidate and _SAFE_CODE.match(candidate):
            return candidate
    return None

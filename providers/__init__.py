"""Deskpilot providers: the ``ChatProvider`` interface, its adapters and wrappers, and pricing.

``OpenAIProvider`` is imported on first use: the ``openai`` SDK takes about a second to import,
and code that only needs the shared types (or runs offline) should not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers.base import (
    ChatProvider,
    Chunk,
    Completion,
    Message,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    Role,
    StreamInterrupted,
    Usage,
)
from providers.fallback import AllProvidersFailed, Attempt, Fallback, FallbackStream
from providers.local_responder import LocalResponder
from providers.pricing import ModelPrice, PriceTable
from providers.prompt_parsing import ParsedPrompt, Passage, Record, parse_prompt

if TYPE_CHECKING:
    from providers.openai_provider import OpenAIProvider

__all__ = [
    "AllProvidersFailed",
    "Attempt",
    "ChatProvider",
    "Chunk",
    "Completion",
    "Fallback",
    "FallbackStream",
    "LocalResponder",
    "Message",
    "ModelPrice",
    "OpenAIProvider",
    "ParsedPrompt",
    "Passage",
    "PriceTable",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "Record",
    "RequestRejected",
    "Role",
    "StreamInterrupted",
    "Usage",
    "parse_prompt",
]


def __getattr__(name: str) -> Any:
    """Import ``OpenAIProvider`` (and with it the ``openai`` SDK) only when it is asked for."""
    if name == "OpenAIProvider":
        from providers.openai_provider import OpenAIProvider

        return OpenAIProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

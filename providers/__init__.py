"""Deskpilot providers: the ``ChatProvider`` interface, its adapters and wrappers, and pricing.

``OpenAIProvider`` and ``AnthropicProvider`` are imported on first use: a vendor SDK takes about a
second to import, and code that only needs the shared types (or runs offline) should not pay for it.
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
from providers.instrumented import Instrumented
from providers.local_responder import LocalResponder
from providers.pricing import ModelPrice, PriceTable
from providers.prompt_parsing import ParsedPrompt, Passage, Record, parse_prompt
from providers.retrying import Retrying, RetryPolicy
from providers.timeouts import Timeouts
from providers.trace import CallTrace, current_trace, tracing, use_trace

if TYPE_CHECKING:
    from providers.anthropic_provider import AnthropicProvider
    from providers.openai_provider import OpenAIProvider

__all__ = [
    "AllProvidersFailed",
    "AnthropicProvider",
    "Attempt",
    "CallTrace",
    "ChatProvider",
    "Chunk",
    "Completion",
    "Fallback",
    "FallbackStream",
    "Instrumented",
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
    "RetryPolicy",
    "Retrying",
    "Role",
    "StreamInterrupted",
    "Timeouts",
    "Usage",
    "current_trace",
    "parse_prompt",
    "tracing",
    "use_trace",
]


def __getattr__(name: str) -> Any:
    """Import a vendor adapter (and with it its SDK) only when it is asked for."""
    if name == "OpenAIProvider":
        from providers.openai_provider import OpenAIProvider

        return OpenAIProvider
    if name == "AnthropicProvider":
        from providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""OpenAI (and OpenAI-compatible) chat completions behind the ``ChatProvider`` interface.

The SDK runs with ``max_retries=0``: retries, breakers and fallbacks are separate wrappers, so
one failed call is one failed attempt in the ledger. SDK exceptions never leave this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from providers.base import (
    Chunk,
    Completion,
    Message,
    ProviderError,
    ProviderUnavailable,
    StreamInterrupted,
    Usage,
)
from providers.openai_errors import translate_openai_error

log = logging.getLogger(__name__)

# Reasoning models accept only the default temperature and reject any other value with a 400.
_FIXED_TEMPERATURE_PREFIXES = ("gpt-5", "o1", "o3", "o4")
# Everything a stream read can raise that means "the stream broke": the SDK parses each event
# with ``json.loads`` and lets its ``ValueError`` through when a data line is not JSON.
_STREAM_ERRORS = (openai.OpenAIError, ValueError)


class OpenAIProvider:
    """Chat completions through the official ``openai`` SDK (OpenAI or a compatible server)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        name: str = "openai",
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self._owns_http_client = http_client is None
        # The read timeout also bounds the gap between two streamed chunks.
        timeout = openai.Timeout(timeout_s, connect=min(timeout_s, connect_timeout_s))
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=timeout,
            # This SDK generation is typed for httpx2 but accepts an httpx client at run time.
            http_client=cast(Any, http_client),
        )

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> Completion:
        """Answer in one piece (a non-streaming request)."""
        started = time.perf_counter()
        try:
            response = await self._client.chat.completions.create(
                messages=_to_sdk(messages),
                stream=False,
                **_sampling(model, max_tokens, temperature),
            )
        except openai.OpenAIError as err:
            raise translate_openai_error(err, self.name) from None
        choice = response.choices[0] if response.choices else None
        usage = (
            Usage(response.usage.prompt_tokens, response.usage.completion_tokens)
            if response.usage
            else Usage()
        )
        return Completion(
            text=(choice.message.content or "") if choice else "",
            usage=usage,
            model=response.model or model,
            finish_reason=choice.finish_reason if choice else None,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            extra={"provider": self.name, "response_id": response.id},
        )

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        max_tokens: int,
        temperature: float,
    ) -> AsyncIterator[Chunk]:
        """Answer as chunks; the last chunk carries the finish reason and the reported usage."""
        try:
            sdk_stream = await self._client.chat.completions.create(
                messages=_to_sdk(messages),
                stream=True,
                stream_options={"include_usage": True},
                **_sampling(model, max_tokens, temperature),
            )
        except openai.OpenAIError as err:
            raise translate_openai_error(err, self.name) from None
        finish_reason: str | None = None
        usage: Usage | None = None
        pieces = 0
        try:
            async for event in sdk_stream:
                if event.usage is not None:
                    usage = Usage(event.usage.prompt_tokens, event.usage.completion_tokens)
                for choice in event.choices:
                    if choice.index != 0:
                        continue
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                    if choice.delta.content:
                        pieces += 1
                        yield Chunk(choice.delta.content)
        except _STREAM_ERRORS as err:
            if finish_reason is None:
                raise self._broken(err, pieces) from None
            # The answer was complete; only the trailing usage report was lost.
            log.warning("%s: stream closed after finish reason (%s)", self.name, type(err).__name__)
        finally:
            await sdk_stream.close()
        if finish_reason is None:
            raise StreamInterrupted(
                f"{self.name}: stream ended without a finish reason after {pieces} chunks",
                provider=self.name,
            )
        yield Chunk("", finish_reason=finish_reason, usage=usage)

    def _broken(self, err: Exception, pieces: int) -> ProviderError:
        """The error for a stream that failed midway: partial text makes it an interruption."""
        if pieces == 0 and isinstance(err, openai.OpenAIError):
            return translate_openai_error(err, self.name)
        if pieces == 0:
            return ProviderUnavailable(
                f"{self.name}: malformed stream ({type(err).__name__})", provider=self.name
            )
        return StreamInterrupted(
            f"{self.name}: stream broke off after {pieces} chunks ({type(err).__name__})",
            provider=self.name,
        )

    async def aclose(self) -> None:
        """Close the SDK client (a caller-supplied ``http_client`` stays open for its owner)."""
        if self._owns_http_client:
            await self._client.close()


def _to_sdk(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    """Our messages as the SDK's typed dicts."""
    return [
        cast(ChatCompletionMessageParam, {"role": m.role, "content": m.content}) for m in messages
    ]


def _sampling(model: str, max_tokens: int, temperature: float) -> dict[str, Any]:
    """Model and sampling parameters, leaving out the temperature reasoning models refuse."""
    params: dict[str, Any] = {"model": model, "max_completion_tokens": max_tokens}
    if not model.startswith(_FIXED_TEMPERATURE_PREFIXES):
        params["temperature"] = temperature
    return params

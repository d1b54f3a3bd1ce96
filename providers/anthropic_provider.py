"""Anthropic's Messages API behind the ``ChatProvider`` interface.

The vendor's shape stays inside this module: system messages go to the ``system`` parameter, the
conversation is made to alternate and to open with a user turn, and stop reasons are reported in
the interface's terms (``stop``, ``length``). ``temperature`` is accepted and not sent: SDK 2.x
targets API version 2026-10-21, which rejects every sampling parameter with a 400.
The SDK runs with ``max_retries=0``: retries, breakers and fallbacks are separate wrappers, so one
failed call is one failed attempt in the ledger. SDK exceptions never leave this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence

import anthropic
import httpx2
from anthropic.types import AssistantMessageParam, MessageParam, UserMessageParam

from providers.anthropic_errors import translate_anthropic_error
from providers.base import Chunk, Completion, Message, ProviderError, StreamInterrupted, Usage

log = logging.getLogger(__name__)

# The API requires the first message to come from the user; this stands in when it does not.
OPENING_PLACEHOLDER = "(conversation start)"
_FINISH_REASONS = {"end_turn": "stop", "max_tokens": "length"}
# Everything a stream read can raise that means "the stream broke" (``ValueError``: bad JSON).
_STREAM_ERRORS = (anthropic.AnthropicError, httpx2.HTTPError, ValueError)


class AnthropicProvider:
    """Claude models through the official ``anthropic`` SDK's Messages API."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        name: str = "anthropic",
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self._owns_http_client = http_client is None
        # The read timeout also bounds the gap between two streamed events.
        timeout = anthropic.Timeout(timeout_s, connect=min(timeout_s, connect_timeout_s))
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
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
        system, conversation = to_anthropic(messages)
        try:
            response = await self._client.messages.create(
                model=model,
                max_tokens=max_tokens,
                messages=conversation,
                stream=False,
                system=system if system is not None else anthropic.omit,
            )
        except anthropic.AnthropicError as err:
            raise translate_anthropic_error(err, self.name) from None
        text = "".join(block.text for block in response.content if block.type == "text")
        return Completion(
            text=text,
            usage=Usage(response.usage.input_tokens, response.usage.output_tokens),
            model=response.model or model,
            finish_reason=finish_reason(response.stop_reason),
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
        system, conversation = to_anthropic(messages)
        try:
            sdk_stream = await self._client.messages.create(
                model=model,
                max_tokens=max_tokens,
                messages=conversation,
                stream=True,
                system=system if system is not None else anthropic.omit,
            )
        except anthropic.AnthropicError as err:
            raise translate_anthropic_error(err, self.name) from None
        stop_reason: str | None = None
        input_tokens = output_tokens = 0
        pieces = 0
        try:
            async for event in sdk_stream:
                if event.type == "message_start":
                    input_tokens = event.message.usage.input_tokens
                    # Reported now, so a stream cut short still accounts for the billed input.
                    yield Chunk("", usage=Usage(input_tokens, 0))
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    if event.delta.text:
                        pieces += 1
                        yield Chunk(event.delta.text)
                elif event.type == "message_delta":
                    # Counts in message_delta are cumulative and final for the message.
                    output_tokens = event.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        input_tokens = event.usage.input_tokens
                    if event.delta.stop_reason:
                        stop_reason = event.delta.stop_reason
        except _STREAM_ERRORS as err:
            if stop_reason is None:
                raise self._broken(err, pieces) from None
            # The answer was complete; only the closing message_stop was lost.
            log.warning("%s: stream closed after stop reason (%s)", self.name, type(err).__name__)
        finally:
            await sdk_stream.close()
        if stop_reason is None:
            raise StreamInterrupted(
                f"{self.name}: stream ended without a stop reason after {pieces} chunks",
                provider=self.name,
            )
        yield Chunk(
            "", finish_reason=finish_reason(stop_reason), usage=Usage(input_tokens, output_tokens)
        )

    def _broken(self, err: Exception, pieces: int) -> ProviderError:
        """The error for a stream that failed midway: partial text makes it an interruption."""
        if pieces == 0:
            return translate_anthropic_error(err, self.name)
        return StreamInterrupted(
            f"{self.name}: stream broke off after {pieces} chunks ({type(err).__name__})",
            provider=self.name,
        )

    async def aclose(self) -> None:
        """Close the SDK client (a caller-supplied ``http_client`` stays open for its owner)."""
        if self._owns_http_client:
            await self._client.close()


def to_anthropic(messages: Sequence[Message]) -> tuple[str | None, list[MessageParam]]:
    """Split off the system text and make the rest alternate, opening with a user message."""
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content.strip())
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message.role == "system" or not message.content.strip():
            continue  # the API rejects empty turns
        if turns and turns[-1][0] == message.role:
            turns[-1] = (message.role, f"{turns[-1][1]}\n\n{message.content}")
        else:
            turns.append((message.role, message.content))
    if not turns or turns[0][0] != "user":
        turns.insert(0, ("user", OPENING_PLACEHOLDER))
    conversation: list[MessageParam] = [
        UserMessageParam(role="user", content=text)
        if role == "user"
        else AssistantMessageParam(role="assistant", content=text)
        for role, text in turns
    ]
    return system or None, conversation


def finish_reason(stop_reason: str | None) -> str | None:
    """Anthropic's stop reason in the interface's terms (``end_turn`` is ``stop``, and so on)."""
    if stop_reason is None:
        return None
    return _FINISH_REASONS.get(stop_reason, stop_reason)

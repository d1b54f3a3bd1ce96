"""A local, scriptable fake of Anthropic's Messages endpoint for tests.

Tests run the real ``anthropic`` SDK against it, so the adapter is exercised over real HTTP and
SSE. The server runs uvicorn in a background thread on 127.0.0.1 and a free port. Each POST to
``/v1/messages`` takes the next scripted behaviour (``Reply``, ``Fail`` or ``Truncate``); when the
script is empty the ``default`` behaviour answers. Every request body (parsed JSON) and its headers
are recorded so tests can check exactly what left the process.

Streams use the Messages API's named events: ``message_start`` (with ``usage.input_tokens``),
``content_block_start``, ``ping``, ``content_block_delta`` (``text_delta``), ``content_block_stop``,
``message_delta`` (``stop_reason`` and ``usage.output_tokens``) and ``message_stop``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.bench.scripted_server import (
    AbortConnection,
    Receive,
    Scope,
    ScriptedServer,
    Send,
    read_body,
    serve_in_thread,
    split_words,
)

# The error ``type`` the real API puts in the body for each status.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Reply:
    """A normal answer: streamed as SSE in several deltas, or one JSON body when not streamed."""

    text: str = "Hello from the fake Anthropic server."
    chunks: list[str] | None = None  # explicit text deltas; default: the text split by words
    input_tokens: int = 12
    output_tokens: int = 5
    stop_reason: str = "end_turn"
    delay_s: float = 0.0  # before the first event (streams) or before the response (non-streams)
    chunk_delay_s: float = 0.0  # between two text deltas (a stalling stream)


@dataclass(frozen=True)
class Fail:
    """An HTTP error answer, e.g. ``Fail(429, headers={"retry-after": "2"})``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted failure"
    error_type: str | None = None  # default: the type the real API uses for the status


@dataclass(frozen=True)
class Truncate:
    """A stream that sends some text deltas and stops without ``message_delta``/``message_stop``.

    ``abort=True`` drops the connection mid-body (an incomplete chunked read for the client);
    ``abort=False`` ends the body cleanly, as a proxy that swallowed the end would.
    ``error_type`` first sends an ``event: error`` of that type (e.g. ``overloaded_error``), as
    the real API does when it fails after the stream started. ``malformed`` first sends an event
    whose data is not JSON.
    """

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer "])
    abort: bool = True
    delay_s: float = 0.0
    error_type: str | None = None
    malformed: bool = False


Behaviour = Reply | Fail | Truncate


class FakeAnthropic(ScriptedServer[Behaviour]):
    """The running fake server: its ``base_url``, recorded ``requests`` and the script queue."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if scope["method"] != "POST" or scope["path"] != "/v1/messages":
            await _send_json(send, 404, _error_body("not_found_error", "not found"))
            return
        request = json.loads(body or b"{}")
        self._remember(scope, request)
        await self._answer(request, self._next(), send)

    async def _answer(self, request: dict[str, Any], behaviour: Behaviour, send: Send) -> None:
        model = str(request.get("model", "claude-fake"))
        if isinstance(behaviour, Fail):
            kind = behaviour.error_type or _ERROR_TYPES.get(behaviour.status, "api_error")
            body = _error_body(kind, behaviour.message)
            await _send_json(send, behaviour.status, body, behaviour.headers)
            return
        if isinstance(behaviour, Reply) and not request.get("stream"):
            await asyncio.sleep(behaviour.delay_s)
            await _send_json(send, 200, _message(behaviour, model))
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"request-id", b"req_fake")],
            }
        )
        await asyncio.sleep(behaviour.delay_s)
        input_tokens = behaviour.input_tokens if isinstance(behaviour, Reply) else 12
        await _send_event(send, "message_start", _message_start(model, input_tokens))
        await _send_event(send, "content_block_start", _block_start())
        await _send_event(send, "ping", {"type": "ping"})
        if isinstance(behaviour, Truncate):
            for piece in behaviour.chunks:
                await _send_event(send, "content_block_delta", _text_delta(piece))
            if behaviour.malformed:
                raw = b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
                await send({"type": "http.response.body", "body": raw, "more_body": True})
            if behaviour.error_type:
                await _send_event(send, "error", _error_body(behaviour.error_type, "stream failed"))
            if behaviour.abort:
                raise AbortConnection("scripted truncation")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        pieces = behaviour.chunks if behaviour.chunks is not None else split_words(behaviour.text)
        for index, piece in enumerate(pieces):
            if index:
                await asyncio.sleep(behaviour.chunk_delay_s)
            await _send_event(send, "content_block_delta", _text_delta(piece))
        await _send_event(send, "content_block_stop", {"type": "content_block_stop", "index": 0})
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": behaviour.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": behaviour.output_tokens},
        }
        await _send_event(send, "message_delta", delta)
        await _send_event(send, "message_stop", {"type": "message_stop"})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}


def _message(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def _message_start(model: str, input_tokens: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        # Like the real API: the input count is final here, the output count is a placeholder.
        "usage": {"input_tokens": input_tokens, "output_tokens": 1},
    }
    return {"type": "message_start", "message": message}


def _block_start() -> dict[str, Any]:
    block = {"type": "text", "text": ""}
    return {"type": "content_block_start", "index": 0, "content_block": block}


def _text_delta(text: str) -> dict[str, Any]:
    delta = {"type": "text_delta", "text": text}
    return {"type": "content_block_delta", "index": 0, "delta": delta}


async def _send_event(send: Send, name: str, data: dict[str, Any]) -> None:
    payload = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
    await send({"type": "http.response.body", "body": payload, "more_body": True})


async def _send_json(
    send: Send, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    raw = [(b"content-type", b"application/json"), (b"request-id", b"req_fake")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": json.dumps(data).encode()})


@contextmanager
def run_fake_anthropic(default: Behaviour | None = None) -> Iterator[FakeAnthropic]:
    """Run a fake Anthropic server in a background thread for the duration of the block."""
    fake = FakeAnthropic(default or Reply())
    with serve_in_thread(fake, name="Anthropic") as port:
        fake.base_url = f"http://127.0.0.1:{port}"  # the SDK adds /v1/messages itself
        yield fake

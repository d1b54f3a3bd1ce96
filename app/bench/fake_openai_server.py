"""A local, scriptable fake of the OpenAI chat completions endpoint, for tests and benchmarks.

It lives in the product (not under ``tests/``) because ``deskpilot bench provider`` needs it at
run time; ``tests.fakes.openai_server`` re-exports it. Clients run the real ``openai`` SDK against
it, so adapters are exercised over real HTTP and SSE. The server runs uvicorn in a background
thread on 127.0.0.1 and a free port. Each POST to ``/v1/chat/completions`` takes the next
scripted behaviour (``Reply``, ``Fail``, ``Truncate`` or ``Malformed``); when the script is empty
the ``default`` behaviour answers. Every request body is recorded (parsed JSON) in ``requests`` so
egress tests can check exactly what left the process.
"""

from __future__ import annotations

import asyncio
import json
import time
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

__all__ = ["Behaviour", "Fail", "FakeOpenAI", "Malformed", "Reply", "Truncate", "run_fake_openai"]


@dataclass(frozen=True)
class Reply:
    """A normal answer: streamed as SSE in several chunks, or one JSON body when not streamed."""

    text: str = "Hello from the fake server."
    chunks: list[str] | None = None  # explicit stream pieces; default: the text split by words
    prompt_tokens: int = 12
    completion_tokens: int = 5
    finish_reason: str = "stop"
    delay_s: float = 0.0  # before the first token (streams) or before the response (non-streams)


@dataclass(frozen=True)
class Fail:
    """An HTTP error answer, e.g. ``Fail(429, headers={"retry-after": "2"})``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted failure"
    code: str | None = None  # e.g. "insufficient_quota"


@dataclass(frozen=True)
class Truncate:
    """A stream that sends some chunks and stops without a finish reason and without [DONE].

    ``abort=True`` drops the connection mid-body (an incomplete chunked read for the client);
    ``abort=False`` ends the body cleanly, as a proxy that swallowed the end would.
    """

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer "])
    abort: bool = True
    delay_s: float = 0.0


@dataclass(frozen=True)
class Malformed:
    """A stream that sends some chunks, then a data line that is not JSON, then ends normally.

    After the broken line come the finish chunk, the usage chunk and ``[DONE]``, as when a proxy
    mangled one event of an otherwise good stream.
    """

    chunks: list[str] = field(default_factory=lambda: ["Partial ", "answer "])
    line: str = 'data: {"id": "chatcmpl-fake", "choices": [{"ind'
    prompt_tokens: int = 12
    completion_tokens: int = 5
    delay_s: float = 0.0


Behaviour = Reply | Fail | Truncate | Malformed


class FakeOpenAI(ScriptedServer[Behaviour]):
    """The running fake server: its ``base_url``, recorded ``requests`` and the script queue."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        if scope["method"] != "POST" or not scope["path"].endswith("/chat/completions"):
            await _send_json(send, 404, {"error": {"message": "not found"}})
            return
        request = json.loads(body or b"{}")
        self._remember(scope, request)
        await self._answer(request, self._next(), send)

    async def _answer(self, request: dict[str, Any], behaviour: Behaviour, send: Send) -> None:
        model = str(request.get("model", "fake-model"))
        if isinstance(behaviour, Fail):
            error = {
                "error": {
                    "message": behaviour.message,
                    "type": "fake_error",
                    "code": behaviour.code,
                }
            }
            await _send_json(send, behaviour.status, error, behaviour.headers)
            return
        streaming = bool(request.get("stream"))
        if isinstance(behaviour, Reply) and not streaming:
            await asyncio.sleep(behaviour.delay_s)
            await _send_json(send, 200, _completion(behaviour, model))
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await asyncio.sleep(behaviour.delay_s)
        if isinstance(behaviour, Malformed):
            await self._malformed(request, behaviour, model, send)
            return
        if isinstance(behaviour, Truncate):
            for piece in behaviour.chunks:
                await _send_event(send, _chunk(model, {"content": piece}, None))
            if behaviour.abort:
                raise AbortConnection("scripted truncation")
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        pieces = behaviour.chunks if behaviour.chunks is not None else split_words(behaviour.text)
        await _send_event(send, _chunk(model, {"role": "assistant", "content": ""}, None))
        for piece in pieces:
            await _send_event(send, _chunk(model, {"content": piece}, None))
        await _send_event(send, _chunk(model, {}, behaviour.finish_reason))
        if (request.get("stream_options") or {}).get("include_usage"):
            usage_chunk = _chunk(model, None, None)
            usage_chunk["usage"] = _usage(behaviour)
            await _send_event(send, usage_chunk)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})

    async def _malformed(
        self, request: dict[str, Any], behaviour: Malformed, model: str, send: Send
    ) -> None:
        for piece in behaviour.chunks:
            await _send_event(send, _chunk(model, {"content": piece}, None))
        raw = f"{behaviour.line}\n\n".encode()
        await send({"type": "http.response.body", "body": raw, "more_body": True})
        await _send_event(send, _chunk(model, {}, "stop"))
        if (request.get("stream_options") or {}).get("include_usage"):
            usage_chunk = _chunk(model, None, None)
            usage_chunk["usage"] = _usage(behaviour)
            await _send_event(send, usage_chunk)
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _usage(reply: Reply | Malformed) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": _usage(reply),
    }


def _chunk(model: str, delta: dict[str, str] | None, finish: str | None) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
    }


async def _send_event(send: Send, data: dict[str, Any]) -> None:
    payload = f"data: {json.dumps(data)}\n\n".encode()
    await send({"type": "http.response.body", "body": payload, "more_body": True})


async def _send_json(
    send: Send, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    raw = [(b"content-type", b"application/json")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": json.dumps(data).encode()})


@contextmanager
def run_fake_openai(default: Behaviour | None = None) -> Iterator[FakeOpenAI]:
    """Run a fake OpenAI server in a background thread for the duration of the block."""
    fake = FakeOpenAI(default or Reply())
    with serve_in_thread(fake, name="OpenAI") as port:
        fake.base_url = f"http://127.0.0.1:{port}/v1"
        yield fake

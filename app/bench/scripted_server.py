"""What every fake provider server shares: a script of behaviours, recorded requests, and
running an ASGI app on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import uvicorn

Scope = MutableMapping[str, Any]
Event = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Event]]
Send = Callable[[Event], Awaitable[None]]
B = TypeVar("B")


class AbortConnection(Exception):
    """Raised inside the ASGI app so uvicorn drops the connection mid-response."""


def split_words(text: str) -> list[str]:
    """Split text into word-sized stream pieces that concatenate back to the text."""
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word if not pieces else " " + word)
    return [p for p in pieces if p] or [text]


class ScriptedServer(Generic[B]):
    """The script queue (then ``default``) and every request body and header set received."""

    def __init__(self, default: B) -> None:
        self.base_url = ""
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self.default = default
        self._script: deque[B] = deque()
        self._lock = threading.Lock()

    def script(self, *behaviours: B) -> None:
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def _next(self) -> B:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _remember(self, scope: Scope, request: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(request)
            self.request_headers.append(
                {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            )


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    body = b""
    while True:
        event = await receive()
        body += bytes(event.get("body", b""))
        if not event.get("more_body"):
            return body


@contextmanager
def serve_in_thread(app: Any, *, name: str) -> Iterator[int]:
    """Serve an ASGI app on 127.0.0.1 and a free port for the block; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"fake {name} server did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

"""A Chainlit chat driven over its socket.io protocol, as the web client speaks it.

Faster and steadier than a browser when the caller (a test, ``deskpilot bench processes``) only
needs to send messages and read answers: `sign_in_cookie` signs in with a password,
`SocketChat` opens a session (``clientType`` "webapp", the agent chat profile), `send` emits one
``client_message`` and returns what the assistant showed until Chainlit's ``task_end``.
Chainlit 2.12's events: ``new_message``, ``update_message``, ``stream_start``, ``send_token``
and ``task_end`` (chainlit/emitter.py, chainlit/socket.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import socketio  # type: ignore[import-untyped]

AGENT_PROFILE = "Agent copilot"
SOCKET_TURN_TIMEOUT_S = 60.0


class ChatError(RuntimeError):
    """The app refused a sign-in or did not answer in time."""


class SocketChat:
    """One chat session on one process over socket.io: send a message, read what came back."""

    def __init__(self, url: str, cookie: str, *, timeout_s: float = SOCKET_TURN_TIMEOUT_S) -> None:
        self.url = url
        self.cookie = cookie
        self.timeout_s = timeout_s
        self.client = socketio.AsyncClient(reconnection=False)
        self.outputs: dict[str, str] = {}  # message id -> its latest text
        self._order: list[str] = []
        self._task_end = asyncio.Event()
        self.disconnected = False
        self._running = False  # between Chainlit's task_start and task_end
        for event in ("new_message", "update_message", "stream_start"):
            self.client.on(event, self._on_message)
        self.client.on("send_token", self._on_token)
        self.client.on("task_start", self._on_task_start)
        self.client.on("task_end", self._on_task_end)
        self.client.on("disconnect", self._on_disconnect)

    async def _on_message(self, data: dict[str, Any]) -> None:
        if data.get("type") == "user_message" or "id" not in data:
            return
        if data["id"] not in self.outputs:
            self._order.append(data["id"])
        self.outputs[data["id"]] = str(data.get("output") or "")

    async def _on_token(self, data: dict[str, Any]) -> None:
        step_id, token = data.get("id"), str(data.get("token") or "")
        if step_id in self.outputs:
            replace = data.get("isSequence")
            self.outputs[step_id] = token if replace else self.outputs[step_id] + token

    async def _on_task_start(self, _data: object = None) -> None:
        self._running = True

    async def _on_task_end(self, _data: object = None) -> None:
        self._running = False
        self._task_end.set()

    async def _on_disconnect(self, _reason: object = None) -> None:
        # A dropped socket (e.g. a missed ping) never delivers task_end: wake the waiting send.
        self.disconnected = True
        self._task_end.set()

    async def open(self) -> None:
        """Connect as the browser does and wait for the agent's welcome."""
        try:
            await self._connect()
        except socketio.exceptions.ConnectionError as exc:
            raise ChatError(f"{self.url}: socket.io connection refused: {exc}") from exc
        await self.client.emit("connection_successful")
        # on_chat_start ends with its own task_end after the welcome: a message sent before it
        # would take that task_end for its own (seen on a busy server).
        await self._wait_for(
            lambda: not self._running and any("Which customer" in t for t in self.outputs.values())
        )

    async def _connect(self) -> None:
        await self.client.connect(
            self.url,
            socketio_path="/ws/socket.io",
            transports=["websocket"],
            headers={"Cookie": self.cookie, "Origin": self.url},
            auth={
                "clientType": "webapp",
                "sessionId": str(uuid.uuid4()),
                "userEnv": "{}",
                "chatProfile": AGENT_PROFILE,
                "threadId": None,
            },
            # The 1 s default fails sessions on a busy server that would answer in 2 s.
            wait_timeout=self.timeout_s,
        )

    async def send(self, text: str) -> str:
        """Send one message and return everything the assistant showed for it."""
        seen = len(self._order)
        self._task_end.clear()
        payload = {
            "id": str(uuid.uuid4()),
            "threadId": "",
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        try:
            await self.client.emit("client_message", {"message": payload, "fileReferences": None})
            await asyncio.wait_for(self._task_end.wait(), self.timeout_s)
        except TimeoutError:
            raise ChatError(f"{self.url}: no task_end within {self.timeout_s:.0f} s") from None
        except socketio.exceptions.SocketIOError as exc:  # e.g. the server dropped the socket
            raise ChatError(f"{self.url}: socket.io failed: {type(exc).__name__}") from exc
        if self.disconnected:
            raise ChatError(f"{self.url}: the socket was disconnected during the turn")
        return "\n".join(self.outputs[i] for i in self._order[seen:])

    async def close(self) -> None:
        """Disconnect the socket."""
        await self.client.disconnect()

    async def _wait_for(self, check: Callable[[], bool]) -> None:
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                # Message ids only: the texts may hold customer data.
                raise ChatError(f"{self.url}: no welcome; got messages {list(self.outputs)}")
            await asyncio.sleep(0.05)


def _cookie_header(response: httpx.Response) -> str:
    if response.status_code != 200:
        raise ChatError(f"sign-in refused: HTTP {response.status_code}")
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


def sign_in_cookie(url: str, username: str, password: str) -> str:
    """The auth cookie header of a password sign-in (valid on every process sharing the secret)."""
    response = httpx.post(
        f"{url}/login", data={"username": username, "password": password}, trust_env=False
    )
    return _cookie_header(response)


async def sign_in_cookie_async(url: str, username: str, password: str) -> str:
    """`sign_in_cookie` without blocking the event loop."""
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=SOCKET_TURN_TIMEOUT_S) as client:
            response = await client.post(
                f"{url}/login", data={"username": username, "password": password}
            )
    except httpx.HTTPError as exc:
        raise ChatError(f"sign-in failed: {type(exc).__name__}") from exc
    return _cookie_header(response)


async def open_agent_chat(
    url: str, cookie: str, customer_id: str, *, timeout_s: float = SOCKET_TURN_TIMEOUT_S
) -> SocketChat:
    """An open agent chat on the app at ``url`` with ``customer_id`` picked (typed as an id)."""
    chat = SocketChat(url, cookie, timeout_s=timeout_s)
    await chat.open()
    try:
        card = await chat.send(customer_id)
        if f"`{customer_id}`" not in card:
            raise ChatError(f"{url}: the customer card of {customer_id} did not show")
    except BaseException:
        await chat.close()
        raise
    return chat


@asynccontextmanager
async def agent_chat(url: str, cookie: str, customer_id: str) -> AsyncIterator[SocketChat]:
    """`open_agent_chat` for the block; disconnects after."""
    chat = await open_agent_chat(url, cookie, customer_id)
    try:
        yield chat
    finally:
        await chat.close()

"""A Chainlit chat driven over its socket.io protocol, as the web client speaks it, for tests.

Faster and steadier than a browser when a test only needs to send messages and read answers:
`sign_in_cookie` signs in with a password, `SocketChat` opens a session (``clientType`` "webapp",
the agent chat profile), `send` emits one ``client_message`` and returns what the assistant showed
until Chainlit's ``task_end``. Chainlit 2.12's events: ``new_message``, ``update_message``,
``stream_start``, ``send_token`` and ``task_end`` (chainlit/emitter.py, chainlit/socket.py).
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


class SocketChat:
    """One chat session on one process over socket.io: send a message, read what came back."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url = url
        self.cookie = cookie
        self.client = socketio.AsyncClient(reconnection=False)
        self.outputs: dict[str, str] = {}  # message id -> its latest text
        self._order: list[str] = []
        self._task_end = asyncio.Event()
        for event in ("new_message", "update_message", "stream_start"):
            self.client.on(event, self._on_message)
        self.client.on("send_token", self._on_token)
        self.client.on("task_end", self._on_task_end)

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

    async def _on_task_end(self, _data: object = None) -> None:
        self._task_end.set()

    async def open(self) -> None:
        """Connect as the browser does and wait for the agent's welcome."""
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
        )
        await self.client.emit("connection_successful")
        await self._wait_for(lambda: any("Which customer" in t for t in self.outputs.values()))

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
        await self.client.emit("client_message", {"message": payload, "fileReferences": None})
        await asyncio.wait_for(self._task_end.wait(), SOCKET_TURN_TIMEOUT_S)
        return "\n".join(self.outputs[i] for i in self._order[seen:])

    async def _wait_for(self, check: Callable[[], bool]) -> None:
        deadline = asyncio.get_running_loop().time() + SOCKET_TURN_TIMEOUT_S
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self.url}: nothing arrived: {self.outputs}")
            await asyncio.sleep(0.05)


def sign_in_cookie(url: str, username: str, password: str) -> str:
    """The auth cookie header of a password sign-in (valid on every process sharing the secret)."""
    response = httpx.post(
        f"{url}/login", data={"username": username, "password": password}, trust_env=False
    )
    assert response.status_code == 200, response.text
    return "; ".join(f"{name}={value}" for name, value in response.cookies.items())


@asynccontextmanager
async def agent_chat(url: str, cookie: str, customer_id: str) -> AsyncIterator[SocketChat]:
    """An agent's chat on the app at ``url`` with ``customer_id`` picked (typed as an exact id)."""
    chat = SocketChat(url, cookie)
    await chat.open()
    try:
        card = await chat.send(customer_id)
        assert f"`{customer_id}`" in card, card
        yield chat
    finally:
        await chat.client.disconnect()

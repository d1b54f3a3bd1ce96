"""The socket.io chat driver for tests; it lives in ``app/bench/socket_session.py`` because
``deskpilot bench processes`` drives the real app with it too."""

from app.bench.socket_session import (
    AGENT_PROFILE,
    SOCKET_TURN_TIMEOUT_S,
    ChatError,
    SocketChat,
    agent_chat,
    sign_in_cookie,
)

__all__ = [
    "AGENT_PROFILE",
    "SOCKET_TURN_TIMEOUT_S",
    "ChatError",
    "SocketChat",
    "agent_chat",
    "sign_in_cookie",
]

"""The sites allowed to call Deskpilot from a browser: Chainlit's HTTP CORS and its socket.io.

Chainlit adds ``CORSMiddleware`` with ``config.toml``'s ``allow_origins`` when its server module is
imported, and creates its socket.io server with CORS handling switched off (any origin may open a
websocket). ``apply_allowed_origins`` applies ``Settings.allowed_origins`` at start-up: the CORS
middleware's definition is replaced, a guard that checks the ``Origin`` of every socket request
against the same list is added in front, and Starlette rebuilds its stack on the next request.
The app's own origin always passes, so the Chainlit UI keeps working behind any host name.
(engineio's own origin check is left off: it would add a second Access-Control-Allow-Origin
header to polling responses, which browsers reject.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import DeskpilotError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.middleware import Middleware


class OriginError(DeskpilotError):
    """An allowed origin is not ``scheme://host[:port]`` (or is the forbidden ``*``)."""


def normalise_origin(origin: str) -> str:
    """``https://shop.example`` from ``https://shop.example/``; OriginError if it is no origin."""
    text = origin.strip().rstrip("/")
    if text == "*":
        raise OriginError('"*" is not allowed in DESKPILOT_ALLOWED_ORIGINS: list the sites.')
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise OriginError(f"{origin!r} is not an origin like https://shop.example.com")
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(scope: Scope) -> set[str]:
    """The origins a request to this server itself comes from (direct and behind a proxy)."""
    headers = Headers(scope=scope)
    host = headers.get("host")
    if not host:
        return set()
    raw_scheme = str(scope.get("scheme", "http"))
    scheme = {"ws": "http", "wss": "https"}.get(raw_scheme, raw_scheme)
    origins = {f"{scheme}://{host}".lower()}
    proto, forwarded = headers.get("x-forwarded-proto"), headers.get("x-forwarded-host")
    if proto or forwarded:
        first_proto = (proto or scheme).split(",")[0].strip()
        first_host = (forwarded or host).split(",")[0].strip()
        origins.add(f"{first_proto}://{first_host}".lower())
    return origins


class OriginPolicy:
    """The allowed origins, and the check every cross-origin browser request goes through."""

    def __init__(self, origins: Sequence[str]) -> None:
        self.origins: tuple[str, ...] = tuple(dict.fromkeys(normalise_origin(o) for o in origins))

    def allows(self, origin: str, scope: Scope) -> bool:
        """Whether a browser on ``origin`` may talk to the server (its own origin always may)."""
        origin = origin.lower()
        return origin in self.origins or origin in own_origins(scope)


class SocketOriginGuard:
    """Refuses websockets, and socket.io polling, opened by a page of a foreign origin.

    Browsers send any site's websocket to any server with the user's cookies, and CORS headers
    do not apply to websockets; the Origin header is the server's only defence (CSWSH).
    """

    def __init__(self, app: ASGIApp, policy: OriginPolicy, socket_path: str) -> None:
        self.app = app
        self.policy = policy
        self.socket_path = socket_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, unless a foreign origin opens a socket."""
        guarded = scope["type"] == "websocket" or (
            scope["type"] == "http" and str(scope.get("path", "")).startswith(self.socket_path)
        )
        origin = Headers(scope=scope).get("origin") if guarded else None
        if origin is None or self.policy.allows(origin, scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "origin not allowed"})
        else:
            await PlainTextResponse("Origin not allowed.", 403)(scope, receive, send)


def apply_allowed_origins(app: FastAPI, origins: Sequence[str]) -> OriginPolicy:
    """Make HTTP CORS and Chainlit's socket accept only ``origins`` (and the app's own)."""
    from chainlit.config import config
    from chainlit.server import SOCKET_IO_PATH
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware

    policy = OriginPolicy(origins)
    kept = [m for m in app.user_middleware if _factory(m) is not SocketOriginGuard]
    cors = [i for i, m in enumerate(kept) if _factory(m) is CORSMiddleware]
    if not cors:
        raise RuntimeError("Chainlit's CORS middleware was not found; cannot restrict origins")
    for index in cors:
        # The options Chainlit's server module passes, with the configured origins.
        kept[index] = Middleware(
            CORSMiddleware,
            allow_origins=list(policy.origins),
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    kept.insert(0, Middleware(SocketOriginGuard, policy=policy, socket_path=SOCKET_IO_PATH))
    app.user_middleware[:] = kept
    # Starlette built its stack (and the CORS instance) on the first call, the lifespan's:
    # dropping it makes the next request build it again from the definitions above.
    app.middleware_stack = None
    config.project.allow_origins = list(policy.origins)
    return policy


def _factory(middleware: Middleware) -> object:
    return middleware.cls

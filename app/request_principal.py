"""Who is calling: the signed-in user of this HTTP request or of this websocket session.

Chainlit's data layer gets no caller in its method signatures, yet some of its HTTP routes
(PUT/DELETE /feedback) check no ownership at all. This pure ASGI middleware decodes the
Chainlit token of each HTTP request into a context variable, and ``current_identifier`` reads
it (or, inside a websocket event, the session's user) so the data layer can refuse strangers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send


# Per request (and per task copied from it), never shared between requests.
_principal: ContextVar[str | None] = ContextVar("deskpilot_principal", default=None)


def _bearer(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def identifier_from_scope(scope: Scope) -> str | None:
    """The identifier in the request's Chainlit token (cookie, else bearer); None if invalid."""
    from chainlit.auth.cookie import get_token_from_cookies
    from chainlit.auth.jwt import decode_jwt

    connection = HTTPConnection(scope)
    token = get_token_from_cookies(connection.cookies) or _bearer(connection)
    if not token:
        return None
    try:
        return decode_jwt(token).identifier
    except Exception:  # expired, forged, or no secret configured: nobody signed in
        return None


class PrincipalMiddleware:
    """Sets the caller of each HTTP request for ``current_identifier`` (websockets pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its caller set, and forget it afterwards."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _principal.set(identifier_from_scope(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _principal.reset(token)


@contextmanager
def acting_as(identifier: str | None) -> Iterator[None]:
    """Run a block as ``identifier`` (the CLI, background jobs, tests)."""
    token = _principal.set(identifier)
    try:
        yield
    finally:
        _principal.reset(token)


def current_identifier() -> str | None:
    """The caller: the HTTP request's signed-in user, else the websocket session's user."""
    found = _principal.get()
    if found is not None:
        return found
    from chainlit.context import ChainlitContextException, context
    from chainlit.session import WebsocketSession

    try:
        session = context.session
    except ChainlitContextException:
        return None
    if isinstance(session, WebsocketSession) and session.user is not None:
        return session.user.identifier
    return None


def install_principal_middleware(app: FastAPI) -> None:
    """Put ``PrincipalMiddleware`` outermost on ``app``; idempotent, works after start-up too."""
    from starlette.middleware import Middleware

    if any(_factory(m) is PrincipalMiddleware for m in app.user_middleware):
        return
    app.user_middleware.insert(0, Middleware(PrincipalMiddleware))
    # Started already (on_app_startup runs inside the lifespan): the next request rebuilds the
    # stack from the definitions, ours included (as app.widget.origins does for CORS).
    app.middleware_stack = None


def _factory(middleware: Any) -> object:
    return middleware.cls

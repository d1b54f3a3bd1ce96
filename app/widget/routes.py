"""HTTP routes of the customer widget on Chainlit's FastAPI app.

``POST /widget/token`` is the API a host site's backend calls with the host key to get a
customer's widget token (server to server: no CORS needed). The demo host page lives in
``app.widget.demo_routes``; ``mount_widget`` adds both, ahead of Chainlit's catch-all route.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.errors import CustomerNotFound
from app.widget.host_key import bearer_matches, widget_host_key
from app.widget.tokens import CustomerLoginDisabled, WidgetToken, mint_widget_token

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.runtime import Runtime

log = logging.getLogger(__name__)

TOKEN_PATH = "/widget/token"
ROUTE_PREFIX = "deskpilot_widget"  # route names; a second mount replaces the first
_NO_STORE = {"Cache-Control": "no-store"}


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error body like FastAPI's (``{"detail": ...}``), never cached."""
    return JSONResponse({"detail": detail}, status, headers={**_NO_STORE, **(headers or {})})


def token_response(minted: WidgetToken) -> JSONResponse:
    """The token and its lifetime, as a host backend (or the demo page) receives them."""
    return JSONResponse({"token": minted.token, "expires_in": minted.expires_in}, headers=_NO_STORE)


class WidgetMinter:
    """Mints widget tokens for the process's runtime; the host key is read once, on first use."""

    def __init__(self, get_runtime: Callable[[], Runtime]) -> None:
        self._get_runtime = get_runtime
        self._host_key: str | None = None

    @property
    def runtime(self) -> Runtime:
        """The process's runtime."""
        return self._get_runtime()

    def host_key(self) -> str:
        """The host key (configured, or generated once into the secrets directory)."""
        if self._host_key is None:
            self._host_key = widget_host_key(self.runtime.settings)
        return self._host_key

    async def mint(self, customer_id: str) -> Response:
        """The token response for a customer, or the error a caller should see."""
        from chainlit.auth.jwt import get_jwt_secret

        secret = get_jwt_secret()
        if not secret:
            log.error("widget token refused: CHAINLIT_AUTH_SECRET is not set")
            return error(503, "Widget sign-in is not configured on this server.")
        runtime = self.runtime
        try:
            minted = await asyncio.to_thread(
                mint_widget_token,
                runtime.session_factory,
                customer_id,
                secret=secret,
                ttl_s=runtime.settings.widget_token_ttl_s,
            )
        except CustomerNotFound:
            return error(404, "Unknown customer.")
        except CustomerLoginDisabled:
            return error(403, "This customer's login is disabled.")
        return token_response(minted)


def _token_route(minter: WidgetMinter) -> Route:
    async def mint_token(request: Request) -> Response:
        if not bearer_matches(request.headers.get("authorization"), minter.host_key()):
            return error(401, "A valid host key is required.", {"WWW-Authenticate": "Bearer"})
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, 'Send JSON: {"customer_id": "..."}.')
        customer_id = body.get("customer_id") if isinstance(body, dict) else None
        if not isinstance(customer_id, str) or not customer_id.strip():
            return error(400, 'Send JSON: {"customer_id": "..."}.')
        return await minter.mint(customer_id.strip())

    return Route(TOKEN_PATH, mint_token, methods=["POST"], name=f"{ROUTE_PREFIX}_token")


def widget_routes(get_runtime: Callable[[], Runtime]) -> list[BaseRoute]:
    """The token API and the demo host page's routes."""
    from app.widget.demo_routes import demo_routes

    minter = WidgetMinter(get_runtime)
    return [_token_route(minter), *demo_routes(minter)]


def mount_widget(app: FastAPI, get_runtime: Callable[[], Runtime]) -> None:
    """Add the widget routes to ``app`` (idempotent, e.g. across hot reloads)."""
    routes = app.router.routes
    routes[:] = [r for r in routes if not (getattr(r, "name", None) or "").startswith(ROUTE_PREFIX)]
    # Chainlit serves its UI from a catch-all GET route; ours must come before it to be reached.
    routes[0:0] = widget_routes(get_runtime)

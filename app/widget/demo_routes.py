"""The demo host's backend: the shop's sign-in, and a widget token for its signed-in customer.

A real host site does the same with its own session: once its customer is signed in, its backend
calls ``POST /widget/token`` with the host key and hands the token to its page. Here the shop and
Deskpilot share a process, so the shop calls the same minting code directly.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.storage.tables import User
from app.users import authenticate
from app.widget.demo_page import DEMO_SCRIPT, ShopAccount, render_demo_page
from app.widget.routes import ROUTE_PREFIX, WidgetMinter, error
from app.widget.shop_session import (
    SHOP_COOKIE,
    SHOP_SESSION_TTL_S,
    read_shop_session,
    sign_shop_session,
)
from context.crm_tables import Customer

if TYPE_CHECKING:
    from app.storage.database import SessionFactory

DEMO_PATH = "/widget-demo"
_REFUSED = "Wrong user name or password, or not a customer account."


def shop_account(sessions: SessionFactory, user_id: int) -> ShopAccount | None:
    """The signed-in shop customer, if the login is still an active customer login."""
    with sessions() as session:
        user = session.get(User, user_id)
        if user is None or user.disabled or user.role != "customer" or not user.customer_id:
            return None
        name = session.exec(select(Customer.name).where(Customer.id == user.customer_id)).first()
        return ShopAccount(user.username, user.customer_id, name or user.customer_id)


def _same_origin(request: Request) -> bool:
    """Refuse cross-site form posts (login CSRF): a browser's Origin must be this site's."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _page(
    minter: WidgetMinter,
    account: ShopAccount | None,
    error_text: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    html = render_demo_page(minter.runtime.settings.company_name, account, error_text)
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


async def _signed_in(minter: WidgetMinter, request: Request) -> ShopAccount | None:
    user_id = read_shop_session(minter.host_key(), request.cookies.get(SHOP_COOKIE))
    if user_id is None:
        return None
    return await asyncio.to_thread(shop_account, minter.runtime.session_factory, user_id)


def demo_routes(minter: WidgetMinter) -> list[BaseRoute]:
    """``/widget-demo``: the page, its script, sign-in, sign-out and the token for the page."""

    async def page(request: Request) -> Response:
        return _page(minter, await _signed_in(minter, request))

    async def script(_request: Request) -> Response:
        return Response(DEMO_SCRIPT, media_type="text/javascript")

    async def sign_in(request: Request) -> Response:
        if not _same_origin(request):
            return error(403, "Cross-site sign-in refused.")
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return _page(minter, None, _REFUSED, 400)
        record = await asyncio.to_thread(
            authenticate, minter.runtime.session_factory, username, password
        )
        if record is None or record.role != "customer" or not record.customer_id:
            return _page(minter, None, _REFUSED, 401)  # staff sign in to Deskpilot, not the shop
        response = RedirectResponse(DEMO_PATH, 303)
        response.set_cookie(
            SHOP_COOKIE,
            sign_shop_session(minter.host_key(), record.id),
            max_age=SHOP_SESSION_TTL_S,
            path=DEMO_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    async def sign_out(request: Request) -> Response:
        from chainlit.auth.cookie import clear_auth_cookie

        if not _same_origin(request):
            return error(403, "Cross-site sign-out refused.")
        response = RedirectResponse(DEMO_PATH, 303)
        response.delete_cookie(SHOP_COOKIE, path=DEMO_PATH)
        # The demo shares Deskpilot's origin, so the widget's Chainlit session ends too.
        clear_auth_cookie(request, response)
        return response

    async def token(request: Request) -> Response:
        account = await _signed_in(minter, request)
        if account is None:
            return error(401, "Sign in to the shop first.")
        return await minter.mint(account.customer_id)

    name = f"{ROUTE_PREFIX}_demo"
    return [
        Route(DEMO_PATH, page, methods=["GET"], name=f"{name}_page"),
        Route(f"{DEMO_PATH}/demo.js", script, methods=["GET"], name=f"{name}_script"),
        Route(f"{DEMO_PATH}/session", sign_in, methods=["POST"], name=f"{name}_sign_in"),
        Route(f"{DEMO_PATH}/logout", sign_out, methods=["POST"], name=f"{name}_sign_out"),
        Route(f"{DEMO_PATH}/token", token, methods=["GET"], name=f"{name}_token"),
    ]

"""Widget tokens and the demo host page, over the real runtime and Chainlit's own /auth/jwt."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from app.users import UserRecord, active_user, add_user, set_disabled
from app.widget.demo_page import ShopAccount, render_demo_page
from app.widget.host_key import bearer_matches, widget_host_key
from app.widget.routes import TOKEN_PATH, mount_widget
from app.widget.shop_session import SHOP_COOKIE, read_shop_session, sign_shop_session
from app.widget.tokens import encode_widget_token, widget_username

AUTH_SECRET = secrets.token_urlsafe(48)


@pytest.fixture
def client(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A FastAPI app with only the widget routes, over the shared runtime."""
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", AUTH_SECRET)
    app = FastAPI()
    mount_widget(app, lambda: runtime)
    mount_widget(app, lambda: runtime)  # idempotent: a hot reload mounts again
    with TestClient(app, base_url="http://localhost:8000") as test_client:
        yield test_client


@pytest.fixture
def host_key(runtime: Any) -> str:
    """The host key the runtime generated (no key is configured in tests)."""
    return widget_host_key(runtime.settings)


def _customer_ids(runtime: Any, count: int) -> list[str]:
    from sqlmodel import col, select

    from context.crm_tables import Customer

    with runtime.session_factory() as session:
        ids = session.exec(select(Customer.id).order_by(col(Customer.id).desc())).all()
    return list(ids[:count])


def _mint(client: TestClient, key: str | None, customer_id: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return client.post(TOKEN_PATH, json={"customer_id": customer_id}, headers=headers)


def test_no_or_wrong_host_key_gets_401(client: TestClient, host_key: str) -> None:
    assert _mint(client, None, "CUS-10001").status_code == 401
    assert _mint(client, host_key + "x", "CUS-10001").status_code == 401
    basic = client.post(
        TOKEN_PATH,
        json={"customer_id": "CUS-10001"},
        headers={"Authorization": f"Basic {host_key}"},
    )
    assert basic.status_code == 401 and basic.headers["www-authenticate"] == "Bearer"
    assert bearer_matches(f"Bearer {host_key}", host_key)
    assert not bearer_matches(f"Bearer {host_key[:-1]}", host_key)


def test_the_generated_host_key_is_kept_owner_only(runtime: Any, host_key: str) -> None:
    path = runtime.settings.secrets_dir / "widget_host_key"
    assert path.read_text() == host_key == widget_host_key(runtime.settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_good_key_mints_a_short_lived_customer_token_chainlit_accepts(
    client: TestClient, host_key: str, runtime: Any
) -> None:
    from chainlit.auth.jwt import decode_jwt

    customer_id = _customer_ids(runtime, 1)[0]
    before = datetime.now(UTC)
    response = _mint(client, host_key, customer_id)
    assert response.status_code == 200, response.text
    body = response.json()
    ttl = runtime.settings.widget_token_ttl_s
    assert body["expires_in"] == ttl and response.headers["cache-control"] == "no-store"
    user = decode_jwt(body["token"])  # what Chainlit's POST /auth/jwt does with it
    assert user.identifier == widget_username(customer_id)
    assert user.metadata["role"] == "customer" and user.metadata["customer_id"] == customer_id
    claims = jwt.decode(body["token"], AUTH_SECRET, algorithms=["HS256"])
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    assert before < expires <= before + timedelta(seconds=ttl + 2)
    # The customer had no login: one was created, bound to them, with a password nobody knows.
    record = active_user(runtime.session_factory, widget_username(customer_id))
    assert record is not None and (record.role, record.customer_id) == ("customer", customer_id)
    assert user.metadata["user_id"] == record.id
    again = jwt.decode(_mint(client, host_key, customer_id).json()["token"], AUTH_SECRET, ["HS256"])
    assert again["metadata"]["user_id"] == record.id  # the same login next time


def test_an_unknown_customer_is_404_and_a_disabled_login_403(
    client: TestClient, host_key: str, runtime: Any
) -> None:
    assert _mint(client, host_key, "CUS-00000").status_code == 404
    assert (
        client.post(
            TOKEN_PATH, content=b"nope", headers={"Authorization": f"Bearer {host_key}"}
        ).status_code
        == 400
    )
    customer_id = _customer_ids(runtime, 2)[1]
    name = f"disabled-{customer_id}"
    add_user(
        runtime.session_factory,
        username=name,
        password="customer-password-1",
        role="customer",
        customer_id=customer_id,
    )
    set_disabled(runtime.session_factory, name)
    assert _mint(client, host_key, customer_id).status_code == 403


def test_chainlit_auth_jwt_accepts_a_fresh_token_and_refuses_an_expired_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chainlit.server import app as chainlit_app

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", AUTH_SECRET)
    record = UserRecord(id=7, username="customer-CUS-1", role="customer", customer_id="CUS-1")
    fresh = encode_widget_token(record, secret=AUTH_SECRET, ttl_s=300)
    stale = encode_widget_token(
        record, secret=AUTH_SECRET, ttl_s=300, now=datetime.now(UTC) - timedelta(seconds=301)
    )
    forged = encode_widget_token(record, secret=secrets.token_urlsafe(48), ttl_s=300)
    chainlit = TestClient(chainlit_app)
    ok = chainlit.post("/auth/jwt", headers={"Authorization": f"Bearer {fresh}"})
    assert ok.status_code == 200 and "access_token" in ok.cookies
    for token in (stale, forged):
        refused = chainlit.post("/auth/jwt", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401


def _demo_login(runtime: Any, role: str, customer_id: str | None) -> tuple[str, str]:
    username, password = f"shop-{role}-{secrets.token_hex(4)}", "shop-password-123"
    add_user(
        runtime.session_factory,
        username=username,
        password=password,
        role=role,
        customer_id=customer_id,
    )
    return username, password


def test_the_demo_shop_refuses_staff_and_hands_its_customer_a_widget_token(
    client: TestClient, runtime: Any
) -> None:
    page = client.get("/widget-demo")
    assert page.status_code == 200 and 'action="/widget-demo/session"' in page.text
    assert "mountChainlitWidget" not in page.text and "/copilot/index.js" not in page.text
    assert client.get("/widget-demo/token").status_code == 401

    agent, agent_password = _demo_login(runtime, "agent", None)
    refused = client.post(
        "/widget-demo/session",
        data={"username": agent, "password": agent_password},
        follow_redirects=False,
    )
    assert refused.status_code == 401 and SHOP_COOKIE not in refused.cookies
    assert "not a customer account" in refused.text

    customer_id = _customer_ids(runtime, 3)[2]
    customer, password = _demo_login(runtime, "customer", customer_id)
    wrong = client.post("/widget-demo/session", data={"username": customer, "password": "x" * 12})
    assert wrong.status_code == 401
    signed_in = client.post(
        "/widget-demo/session",
        data={"username": customer, "password": password},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/widget-demo"
    cookie_header = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie_header and "samesite=lax" in cookie_header

    account = client.get("/widget-demo")
    assert customer_id in account.text and '<script src="/copilot/index.js"' in account.text
    assert client.get("/widget-demo/demo.js").text.count("mountChainlitWidget") == 1
    token = client.get("/widget-demo/token")
    assert token.status_code == 200
    claims = jwt.decode(token.json()["token"], AUTH_SECRET, algorithms=["HS256"])
    assert claims["metadata"]["customer_id"] == customer_id
    assert claims["metadata"]["role"] == "customer"

    client.post("/widget-demo/logout")
    assert client.get("/widget-demo/token").status_code == 401


def test_the_demo_refuses_cross_site_posts_and_forged_cookies(
    client: TestClient, host_key: str
) -> None:
    cross = client.post(
        "/widget-demo/session",
        data={"username": "a", "password": "b"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    value = sign_shop_session(host_key, 1)
    assert read_shop_session(host_key, value) == 1
    assert read_shop_session(host_key, value.replace("1.", "2.", 1)) is None
    assert read_shop_session("another-key", value) is None
    assert read_shop_session(host_key, sign_shop_session(host_key, 1, now=0)) is None  # expired
    client.cookies.set(SHOP_COOKIE, value.replace("1.", "2.", 1), path="/widget-demo")
    assert client.get("/widget-demo/token").status_code == 401


def test_the_demo_page_escapes_what_it_shows() -> None:
    html = render_demo_page(
        "Northwind <Electronics>", ShopAccount("<u>", "CUS-1", "<script>alert(1)</script>")
    )
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "Northwind &lt;Electronics&gt; — My account" in html
    assert " on" not in html.split("<body", 1)[1].replace(" one", "")  # no inline handlers

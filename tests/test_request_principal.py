"""The caller of an HTTP request, read from the Chainlit token by a pure ASGI middleware."""

from __future__ import annotations

import pytest
from chainlit.auth.jwt import create_jwt
from chainlit.user import User
from fastapi import FastAPI
from starlette.testclient import TestClient

from app.request_principal import (
    PrincipalMiddleware,
    current_identifier,
    install_principal_middleware,
)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-for-principal-tests-0123456789")
    app = FastAPI()

    @app.get("/who")
    async def who() -> dict[str, str | None]:
        return {"who": current_identifier()}

    return app


def test_the_token_in_the_cookie_or_the_bearer_header_names_the_caller(app: FastAPI) -> None:
    install_principal_middleware(app)
    token = create_jwt(User(identifier="alice"))
    with TestClient(app) as client:
        assert client.get("/who", cookies={"access_token": token}).json() == {"who": "alice"}
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/who", headers=bearer).json() == {"who": "alice"}
        assert client.get("/who").json() == {"who": None}


def test_a_forged_or_garbled_token_names_nobody(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_principal_middleware(app)
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "another-secret-another-secret-0123456789")
    forged = create_jwt(User(identifier="mallory"))
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-for-principal-tests-0123456789")
    with TestClient(app) as client:
        assert client.get("/who", cookies={"access_token": forged}).json() == {"who": None}
        assert client.get("/who", headers={"Authorization": "Bearer x.y.z"}).json() == {"who": None}


def test_installing_after_start_up_works_and_twice_changes_nothing(app: FastAPI) -> None:
    token = create_jwt(User(identifier="alice"))
    with TestClient(app) as client:  # the lifespan has built the middleware stack
        assert app.middleware_stack is not None
        install_principal_middleware(app)
        install_principal_middleware(app)
        assert client.get("/who", cookies={"access_token": token}).json() == {"who": "alice"}
        # Rebuilt from the definitions, first of the app's own middleware, and only once.
        classes: list[object] = [m.cls for m in app.user_middleware]
        assert classes[0] is PrincipalMiddleware and classes.count(PrincipalMiddleware) == 1


def test_outside_any_request_or_chat_there_is_no_caller() -> None:
    assert current_identifier() is None

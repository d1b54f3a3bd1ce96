"""Only the configured origins may call Chainlit from a browser: HTTP CORS and the socket."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.settings import Settings
from app.widget.origins import OriginError, apply_allowed_origins, normalise_origin

ALLOWED = "https://shop.example.com"
EVIL = "https://evil.example"
POLLING = "/ws/socket.io/?EIO=4&transport=polling"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chainlit_app() -> Iterator[Any]:
    """Chainlit's real server app, with its middleware restored afterwards."""
    from chainlit.config import config
    from chainlit.server import app

    middleware, origins = list(app.user_middleware), config.project.allow_origins
    apply_allowed_origins(app, [ALLOWED, "http://localhost:8000"])
    apply_allowed_origins(app, [ALLOWED + "/", "http://localhost:8000"])  # again: replaces
    yield app
    app.user_middleware[:] = middleware
    app.middleware_stack = None
    config.project.allow_origins = origins


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/auth/jwt",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )


def test_a_foreign_origin_gets_no_cors_and_an_allowed_one_does(chainlit_app: Any) -> None:
    client = TestClient(chainlit_app)
    assert "access-control-allow-origin" not in _preflight(client, EVIL).headers
    assert _preflight(client, ALLOWED).headers["access-control-allow-origin"] == ALLOWED
    simple = client.get("/project/translations?language=en-US", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in simple.headers
    allowed = client.get("/project/translations?language=en-US", headers={"Origin": ALLOWED})
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert allowed.headers["access-control-allow-credentials"] == "true"
    guards = [m for m in chainlit_app.user_middleware if m.cls.__name__ == "SocketOriginGuard"]
    assert len(guards) == 1


def test_the_socket_refuses_foreign_origins(chainlit_app: Any) -> None:
    client = TestClient(chainlit_app)
    assert client.get(POLLING, headers={"Origin": EVIL}).status_code == 403
    allowed = client.get(POLLING, headers={"Origin": ALLOWED})
    assert allowed.status_code == 200 and allowed.text.startswith("0{")
    # One Access-Control-Allow-Origin header: browsers reject a repeated one.
    assert allowed.headers.get_list("access-control-allow-origin") == [ALLOWED]
    # The app's own pages always reach their socket, whatever host name it is served under.
    assert client.get(POLLING, headers={"Origin": "http://testserver"}).status_code == 200
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            "/ws/socket.io/?EIO=4&transport=websocket", headers={"Origin": EVIL, **upgrade}
        ),
    ):
        pass
    assert refused.value.code == 1008
    with client.websocket_connect(
        "/ws/socket.io/?EIO=4&transport=websocket", headers={"Origin": ALLOWED, **upgrade}
    ) as socket:
        assert socket.receive_text().startswith("0{")


def test_a_wildcard_or_a_url_with_a_path_is_refused() -> None:
    with pytest.raises(OriginError, match=r"\*"):
        normalise_origin("*")
    with pytest.raises(OriginError):
        normalise_origin("https://shop.example.com/account")
    assert normalise_origin("HTTPS://Shop.Example.com/") == "https://shop.example.com"


def test_the_defaults_name_localhost_not_everyone() -> None:
    config = tomllib.loads((ROOT / ".chainlit" / "config.toml").read_text())
    defaults = ["http://localhost:8000", "http://127.0.0.1:8000"]
    assert config["project"]["allow_origins"] == defaults
    factory = Settings.model_fields["allowed_origins"].default_factory
    assert factory is not None and factory() == defaults  # type: ignore[call-arg]

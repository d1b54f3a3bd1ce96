"""Who may open the supervisor review: supervisors and admins, re-checked against the user table."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from app.storage.tables import User
from tests.supervisor_seed import SECRET, Seeded, client, seed

pytestmark = pytest.mark.slow
PAGES = ["/supervisor", "/supervisor/alerts", "/supervisor/conversations/1"]


@pytest.fixture(scope="module")
def seeded(runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed(runtime, tmp_path_factory.mktemp("supervisor-access"))


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_redirect_to_login(seeded: Seeded, path: str) -> None:
    response = client(seeded).get(path)
    assert response.status_code == 302
    assert response.headers["location"] == "/login"


def test_anonymous_csv_is_401(seeded: Seeded) -> None:
    assert client(seeded).get("/supervisor/export.csv").status_code == 401


def test_a_forged_token_is_no_login(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    token = seeded.token("sup")
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "another-secret-another-secret-another")
    anonymous = client(seeded)
    anonymous.cookies.set("access_token", token)
    assert anonymous.get("/supervisor").status_code == 302


@pytest.mark.parametrize("username", ["agent1", "cust"])
def test_agents_and_customers_get_403(seeded: Seeded, username: str) -> None:
    signed_in = client(seeded, username)
    for path in PAGES:
        response = signed_in.get(path)
        assert response.status_code == 403
        assert "Supervisors only" in response.text
    assert signed_in.get("/supervisor/export.csv").status_code == 403


@pytest.mark.parametrize("username", ["sup", "adm"])
def test_supervisors_and_admins_get_in(seeded: Seeded, username: str) -> None:
    response = client(seeded, username).get("/supervisor")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert 'id="conversations"' in response.text


def test_the_bearer_header_works_for_the_csv(seeded: Seeded) -> None:
    headers = {"Authorization": f"Bearer {seeded.token('sup')}"}
    assert client(seeded).get("/supervisor/export.csv", headers=headers).status_code == 200


def test_a_disabled_supervisor_is_signed_out(seeded: Seeded) -> None:
    assert client(seeded, "gone").get("/supervisor").status_code == 302


def test_a_role_change_beats_an_older_token(seeded: Seeded) -> None:
    signed_in = client(seeded, "adm")  # the token still says admin
    with seeded.sessions() as session:
        user = session.exec(select(User).where(User.username == "adm")).one()
        user.role = "agent"
        session.add(user)
        session.commit()
    try:
        assert signed_in.get("/supervisor").status_code == 403
    finally:
        with seeded.sessions() as session:
            user = session.exec(select(User).where(User.username == "adm")).one()
            user.role = "admin"
            session.add(user)
            session.commit()


def test_mounting_twice_keeps_one_route_each_ahead_of_a_catch_all(seeded: Seeded) -> None:
    from fastapi import FastAPI
    from starlette.responses import PlainTextResponse

    from app.supervisor.routes import mount_supervisor

    app = FastAPI()

    @app.get("/{full_path:path}")
    def catch_all(full_path: str) -> PlainTextResponse:
        return PlainTextResponse("chainlit")

    mount_supervisor(app, lambda: seeded.runtime)
    mount_supervisor(app, lambda: seeded.runtime)
    paths = [getattr(r, "path", None) for r in app.router.routes]
    assert paths.count("/supervisor") == 1 and paths.count("/supervisor/export.csv") == 1
    assert paths.index("/supervisor") < paths.index("/{full_path:path}")

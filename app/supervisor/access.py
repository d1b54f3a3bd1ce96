"""Who is asking for a supervisor page: the Chainlit login token, re-checked against our users.

The token's metadata carries a role, but a token may outlive a role change or a disabled account,
so the role and the ``disabled`` flag are always read again from the user table by username.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlmodel import select

from app.storage.database import SessionFactory
from app.storage.tables import User

SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})

Outcome = Literal["allowed", "anonymous", "forbidden"]


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A signed-in user as the user table knows them now."""

    user_id: int
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """Whether the request may see supervisor pages, and who made it."""

    outcome: Outcome
    reviewer: Reviewer | None = None


def token_from_request(cookies: Mapping[str, str], authorization: str | None) -> str | None:
    """The login token: Chainlit's (possibly chunked) cookie, else an ``Authorization: Bearer``."""
    from chainlit.auth.cookie import get_token_from_cookies

    token: str | None = get_token_from_cookies(dict(cookies))
    if token:
        return token
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def username_from_token(token: str) -> str | None:
    """The identifier of a valid, unexpired token signed with our secret; None otherwise."""
    from chainlit.auth.jwt import decode_jwt

    try:
        user = decode_jwt(token)
    except Exception:  # any bad, expired or unsigned token is simply no login
        return None
    identifier = getattr(user, "identifier", None)
    return identifier if isinstance(identifier, str) and identifier else None


def reviewer_named(sessions: SessionFactory, username: str) -> Reviewer | None:
    """The active user of that name (None when unknown or disabled)."""
    with sessions() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or user.disabled or user.id is None:
            return None
        return Reviewer(user.id, user.username, user.role)


def decide(
    sessions: SessionFactory, cookies: Mapping[str, str], authorization: str | None
) -> AccessDecision:
    """Allowed: active supervisor or admin; anonymous: no valid login; else forbidden."""
    token = token_from_request(cookies, authorization)
    username = username_from_token(token) if token else None
    reviewer = reviewer_named(sessions, username) if username else None
    if reviewer is None:
        return AccessDecision("anonymous")
    if reviewer.role not in SUPERVISOR_ROLES:
        return AccessDecision("forbidden", reviewer)
    return AccessDecision("allowed", reviewer)

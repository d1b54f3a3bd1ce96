"""How people sign in: password, header auth behind a trusted proxy (opt-in), and OAuth.

Every path ends at the same check: an active Deskpilot user of that name, whose role and
customer binding come from our user table, never from the identity provider or the request.
Accounts are made with `deskpilot users add`; nobody is created by signing in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import chainlit as cl
from chainlit.oauth_providers import get_configured_oauth_providers

from app.settings import Settings
from app.storage.database import SessionFactory
from app.ui.session import user_metadata
from app.users import UserRecord, active_user, authenticate

log = logging.getLogger(__name__)

Sessions = Callable[[], SessionFactory]


def chainlit_user(record: UserRecord) -> cl.User:
    """The signed-in user as Chainlit carries it (metadata reaches the browser: no secrets)."""
    return cl.User(
        identifier=record.username,
        display_name=record.username,
        metadata=user_metadata(record.role, record.id, record.customer_id),
    )


def header_username(headers: Mapping[str, str], header: str) -> str | None:
    """The user name the proxy put in ``header``; None when absent or blank."""
    value = headers.get(header) or headers.get(header.lower())
    return value.strip() if value and value.strip() else None


def oauth_username(provider_id: str, raw: Mapping[str, object], default: cl.User) -> str:
    """The Deskpilot user name an OAuth identity maps to: its email, else its login."""
    email = raw.get("email")
    if isinstance(email, str) and email:
        return email.strip().lower()
    login = raw.get("login") or raw.get("preferred_username")
    return str(login).strip() if login else default.identifier


def register_sign_in(settings: Settings, sessions: Sessions) -> None:
    """Register the sign-in callbacks this configuration allows."""

    @cl.password_auth_callback
    async def password_login(username: str, password: str) -> cl.User | None:
        record = await asyncio.to_thread(authenticate, sessions(), username.strip(), password)
        return chainlit_user(record) if record else None

    if settings.header_auth_enabled:
        header = settings.header_auth_user_header

        @cl.header_auth_callback
        async def header_login(headers: Mapping[str, str]) -> cl.User | None:
            username = header_username(headers, header)
            if username is None:
                return None
            record = await asyncio.to_thread(active_user, sessions(), username)
            if record is None:
                log.warning("header sign-in refused: no active user of that name")
            return chainlit_user(record) if record else None

    if not get_configured_oauth_providers():  # type: ignore[no-untyped-call]
        return  # Chainlit refuses an OAuth callback when no provider's variables are set

    @cl.oauth_callback
    async def oauth_login(
        provider_id: str,
        token: str,
        raw_user_data: dict[str, str],
        default_user: cl.User,
        id_token: str | None = None,
    ) -> cl.User | None:
        username = oauth_username(provider_id, raw_user_data, default_user)
        record = await asyncio.to_thread(active_user, sessions(), username)
        if record is None:
            log.warning("OAuth sign-in via %s refused: no active user of that name", provider_id)
        return chainlit_user(record) if record else None

"""The demo shop's own sign-in cookie: a user id and an expiry, signed with HMAC-SHA256.

This stands in for whatever session a real host site already has; it never reaches Chainlit.
The signing key is derived from the host key, so the shop needs no second secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SHOP_COOKIE = "northwind_shop_session"
SHOP_SESSION_TTL_S = 8 * 3600


def _signing_key(host_key: str) -> bytes:
    # A separate key per purpose: a shop cookie can never pass for a host key or vice versa.
    return hmac.new(host_key.encode(), b"deskpilot widget-demo shop session", "sha256").digest()


def _signature(host_key: str, payload: str) -> str:
    return hmac.new(_signing_key(host_key), payload.encode(), hashlib.sha256).hexdigest()


def sign_shop_session(
    host_key: str, user_id: int, *, now: float | None = None, ttl_s: int = SHOP_SESSION_TTL_S
) -> str:
    """The cookie value for a signed-in shop user."""
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{user_id}.{expires}"
    return f"{payload}.{_signature(host_key, payload)}"


def read_shop_session(host_key: str, value: str | None, *, now: float | None = None) -> int | None:
    """The user id of a valid, unexpired cookie value, else None."""
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(host_key, payload)):
        return None
    if int(parts[1]) < (time.time() if now is None else now):
        return None
    return int(parts[0])

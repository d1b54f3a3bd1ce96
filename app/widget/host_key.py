"""The host key: the shared secret a host site's backend presents to mint widget tokens."""

from __future__ import annotations

import hmac

from app.settings import Settings
from app.storage.secrets import load_or_create_widget_host_key


def widget_host_key(settings: Settings) -> str:
    """The configured key, else one generated once into the secrets directory (owner-only)."""
    if settings.widget_host_key is not None and settings.widget_host_key.get_secret_value():
        return settings.widget_host_key.get_secret_value()
    return load_or_create_widget_host_key(settings.secrets_dir)


def bearer_matches(authorization: str | None, key: str) -> bool:
    """Whether an ``Authorization: Bearer <key>`` header carries ``key`` (constant time)."""
    if not authorization:
        return False
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    return hmac.compare_digest(presented.strip().encode(), key.encode())

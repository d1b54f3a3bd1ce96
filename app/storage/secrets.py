"""Generated secrets of the embedded mode, and encryption of what must be stored encrypted."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def _owner_only_file(path: Path, make: bytes) -> bytes:
    """Read ``path``, creating it with ``make`` and mode 0600 when it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(make)
    return make


def load_or_create_key(secrets_dir: Path, env_value: str | None = None) -> bytes:
    """The transcript encryption key: from the environment, else generated once on disk."""
    if env_value:
        return env_value.encode()
    return _owner_only_file(secrets_dir / "transcript.key", Fernet.generate_key())


def load_or_create_auth_secret(secrets_dir: Path) -> str:
    """A random secret for signing Chainlit sessions, generated once."""
    return _owner_only_file(
        secrets_dir / "chainlit_auth_secret", secrets.token_urlsafe(48).encode()
    ).decode()


def load_or_create_widget_host_key(secrets_dir: Path) -> str:
    """The key a host site's backend presents to mint widget tokens, generated once."""
    return _owner_only_file(
        secrets_dir / "widget_host_key", secrets.token_urlsafe(32).encode()
    ).decode()


class Encryptor:
    """Symmetric authenticated encryption (Fernet) of text at rest."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, text: str) -> str:
        """Encrypt ``text`` to a printable token."""
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt`."""
        return self._fernet.decrypt(token.encode()).decode()

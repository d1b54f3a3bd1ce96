"""People who log in: creation, password hashing (argon2id) and authentication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from app.storage.database import SessionFactory
from app.storage.tables import User
from context.crm_tables import Customer

UserRole = Literal["agent", "supervisor", "customer", "admin"]
ROLES: tuple[UserRole, ...] = ("agent", "supervisor", "customer", "admin")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the app knows of a logged-in user (never the hash)."""

    id: int
    username: str
    role: UserRole
    customer_id: str | None
    disabled: bool = False


def _record(user: User) -> UserRecord:
    assert user.id is not None
    return UserRecord(
        user.id, user.username, cast(UserRole, user.role), user.customer_id, user.disabled
    )


def add_user(
    sessions: SessionFactory,
    *,
    username: str,
    password: str,
    role: str,
    customer_id: str | None = None,
) -> UserRecord:
    """Create a user; a customer user must name the CRM customer they are."""
    username = username.strip()
    if not username:
        raise UserError("The username is empty.")
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if role == "customer" and not customer_id:
        raise UserError("A customer user needs --customer-id (the CRM customer they are).")
    with sessions() as session:
        if session.exec(select(User).where(User.username == username)).first():
            raise UserError(f"A user named {username!r} already exists.")
        if customer_id and session.get(Customer, customer_id) is None:
            raise UserError(f"No customer {customer_id!r} in the CRM.")
        user = User(
            username=username,
            password_hash=_hasher.hash(password),
            role=role,
            customer_id=customer_id if role == "customer" else None,
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        return _record(user)


def set_password(sessions: SessionFactory, username: str, password: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    with sessions() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise UserError(f"No user named {username!r}.")
        user.password_hash = _hasher.hash(password)
        session.add(user)
        session.commit()


def set_disabled(sessions: SessionFactory, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a login; a disabled user cannot sign in or keep chatting."""
    with sessions() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise UserError(f"No user named {username!r}.")
        user.disabled = disabled
        session.add(user)
        session.commit()


def active_user(sessions: SessionFactory, username: str) -> UserRecord | None:
    """The user if the account exists and is not disabled (sign-in without a password)."""
    with sessions() as session:
        user = session.exec(select(User).where(User.username == username.strip())).first()
        return None if user is None or user.disabled else _record(user)


def list_users(sessions: SessionFactory) -> list[UserRecord]:
    """All users, by name."""
    with sessions() as session:
        return [_record(u) for u in session.exec(select(User).order_by(User.username)).all()]


def authenticate(sessions: SessionFactory, username: str, password: str) -> UserRecord | None:
    """The user if the password is right and the account is active, else None."""
    with sessions() as session:
        user = session.exec(select(User).where(User.username == username.strip())).first()
        if user is None or user.disabled:
            _hasher.hash(password)  # same work either way: no timing hint that the name exists
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            session.add(user)
            session.commit()
        return _record(user)

"""Widget tokens: short-lived JWTs that open a customer's Chainlit session through ``/auth/jwt``.

Chainlit's ``POST /auth/jwt`` decodes the token with ``CHAINLIT_AUTH_SECRET`` (HS256) into a
``cl.User`` and sets its own session cookie; the token itself only has to live long enough for the
widget to make that one call. Tokens are only minted for an active customer login, created on
first use for a CRM customer who has none (with a random password nobody knows: the widget is
their way in).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlmodel import col, select

from app.errors import CustomerNotFound, DeskpilotError
from app.storage.database import SessionFactory
from app.storage.tables import User
from app.ui.session import user_metadata
from app.users import UserError, UserRecord, active_user, add_user
from context.crm_tables import Customer

JWT_ALGORITHM = "HS256"  # what chainlit.auth.jwt.decode_jwt accepts


class CustomerLoginDisabled(DeskpilotError):
    """Every login of the customer is disabled: no widget session for them."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"The login of customer {customer_id} is disabled.")
        self.customer_id = customer_id


@dataclass(frozen=True, slots=True)
class WidgetToken:
    """A minted token, how long it stays valid, and the login it opens."""

    token: str
    expires_in: int
    username: str


def widget_username(customer_id: str) -> str:
    """The login created for a customer who first arrives through the widget."""
    return f"customer-{customer_id}"


def _find_customer_login(sessions: SessionFactory, customer_id: str) -> tuple[bool, str | None]:
    """(customer exists, name of the oldest active customer login linked to it)."""
    with sessions() as session:
        if session.get(Customer, customer_id) is None:
            return False, None
        users = session.exec(
            select(User)
            .where(User.customer_id == customer_id, User.role == "customer")
            .order_by(col(User.id))
        ).all()
        if users and all(u.disabled for u in users):
            raise CustomerLoginDisabled(customer_id)
        active = [u.username for u in users if not u.disabled]
        return True, active[0] if active else None


def customer_login(sessions: SessionFactory, customer_id: str) -> UserRecord:
    """The customer's active login, created on first use; CustomerNotFound for an unknown id."""
    exists, username = _find_customer_login(sessions, customer_id)
    if not exists:
        raise CustomerNotFound(customer_id)
    if username is None:
        try:
            return add_user(
                sessions,
                username=widget_username(customer_id),
                password=secrets.token_urlsafe(24)[:32],  # nobody knows it: sign-in is the widget
                role="customer",
                customer_id=customer_id,
            )
        except UserError:
            # Another request created it first (or a staff login took the name): look again.
            username = widget_username(customer_id)
    record = active_user(sessions, username)
    if record is None or record.role != "customer" or record.customer_id != customer_id:
        raise CustomerLoginDisabled(customer_id)
    return record


def encode_widget_token(
    record: UserRecord, *, secret: str, ttl_s: int, now: datetime | None = None
) -> str:
    """The JWT Chainlit's ``/auth/jwt`` turns into this customer's session."""
    issued = now or datetime.now(UTC)
    claims = {
        "identifier": record.username,
        "display_name": record.username,
        "metadata": user_metadata(record.role, record.id, record.customer_id),
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def mint_widget_token(
    sessions: SessionFactory,
    customer_id: str,
    *,
    secret: str,
    ttl_s: int,
    now: datetime | None = None,
) -> WidgetToken:
    """A widget token for a CRM customer (CustomerNotFound, CustomerLoginDisabled otherwise)."""
    record = customer_login(sessions, customer_id.strip())
    if record.role != "customer":  # the lookup only returns customer logins; never widen it
        raise CustomerLoginDisabled(customer_id)
    token = encode_widget_token(record, secret=secret, ttl_s=ttl_s, now=now)
    return WidgetToken(token=token, expires_in=ttl_s, username=record.username)

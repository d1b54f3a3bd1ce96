"""Facts the rules read, computed from SQL: bounded counts for the customer, values per order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from context.crm_tables import Order, Ticket
from context.customer_history import OPEN_TICKET_STATES, CustomerHistory

REFUNDED_STATES = ("refunded", "returned")


@dataclass(frozen=True, slots=True)
class OrderFactsRow:
    """The facts of one order, keyed by the names conditions use."""

    order_id: str
    values: dict[str, str | int | float]


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """The facts of one customer, and of each of the orders in context."""

    customer_id: str
    values: dict[str, str | int | float]
    orders: list[OrderFactsRow]


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; the tables store UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(since: datetime, now: datetime) -> int:
    return max(0, (now - _aware(since)).days)


def order_facts(order: Order, now: datetime) -> OrderFactsRow:
    """Status, age, days since delivery (-1 while undelivered) and amount of one order."""
    delivered = _days(order.delivered_at, now) if order.delivered_at else -1
    return OrderFactsRow(
        order.id,
        {
            "order_status": order.status,
            "order_age_days": _days(order.placed_at, now),
            "days_since_delivery": delivered,
            "amount": float(order.total),
        },
    )


def compute_facts(
    session: Session, history: CustomerHistory, *, now: datetime | None = None
) -> CustomerFacts:
    """Facts for the customer (two COUNT queries: cost does not grow with the history)."""
    now = now or datetime.now(UTC)
    customer = history.customer
    open_tickets = session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.customer_id == customer.id, col(Ticket.status).in_(OPEN_TICKET_STATES))
    ).one()
    refunds = session.exec(
        select(func.count())
        .select_from(Order)
        .where(Order.customer_id == customer.id, col(Order.status).in_(REFUNDED_STATES))
    ).one()
    values: dict[str, str | int | float] = {
        "tier": customer.tier,
        "open_ticket_count": int(open_tickets),
        "past_refunds": int(refunds),
        "customer_age_days": _days(customer.created_at, now),
        "order_count": history.order_count,
    }
    return CustomerFacts(customer.id, values, [order_facts(f.order, now) for f in history.orders])

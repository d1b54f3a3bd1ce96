"""Customer history from the CRM tables: bounded, indexed queries for one customer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from context.crm_tables import Customer, Interaction, Order, OrderItem, Ticket

OPEN_TICKET_STATES = ("open", "pending")
# Lines per order read at most: a pathological order cannot blow up one turn's query.
MAX_ITEMS_PER_ORDER = 20


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """An order with its items, as context needs it."""

    order: Order
    items: list[OrderItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """What the assistant knows about one customer for one turn."""

    customer: Customer
    orders: list[OrderFacts]
    open_tickets: list[Ticket]
    order_count: int
    interactions: list[Interaction] = field(default_factory=list)


def get_customer(session: Session, customer_id: str) -> Customer | None:
    """The customer with this id, or None."""
    return session.get(Customer, customer_id.strip().upper())


def find_customers(session: Session, query: str, *, limit: int = 8) -> list[Customer]:
    """Customers matching an id, an email or a fragment of the name (case-insensitive)."""
    query = query.strip()
    if not query:
        return []
    exact = session.get(Customer, query.upper())
    if exact is not None:
        return [exact]
    needle = f"%{query.lower()}%"
    statement = (
        select(Customer)
        .where(
            or_(
                func.lower(Customer.email) == query.lower(),
                func.lower(Customer.name).like(needle),
                func.lower(Customer.email).like(needle),
            )
        )
        .order_by(Customer.name)
        .limit(limit)
    )
    return list(session.exec(statement).all())


def load_history(
    session: Session,
    customer_id: str,
    *,
    max_orders: int = 10,
    max_tickets: int = 10,
    max_interactions: int = 3,
) -> CustomerHistory | None:
    """Profile, recent orders with items, open tickets, recent interactions; all bounded.

    Every query has a LIMIT (or is a COUNT) and runs on a (customer_id, date) index, so a
    customer with 5,000 orders costs what one with 5 does.
    """
    customer = get_customer(session, customer_id)
    if customer is None:
        return None
    orders = list(
        session.exec(
            select(Order)
            .where(Order.customer_id == customer.id)
            .order_by(col(Order.placed_at).desc())
            .limit(max_orders)
        ).all()
    )
    items_by_order: dict[str, list[OrderItem]] = {o.id: [] for o in orders}
    if orders:
        for item in session.exec(
            select(OrderItem)
            .where(col(OrderItem.order_id).in_(list(items_by_order)))
            .order_by(col(OrderItem.id))
            .limit(len(orders) * MAX_ITEMS_PER_ORDER)
        ).all():
            items_by_order[item.order_id].append(item)
    tickets = list(
        session.exec(
            select(Ticket)
            .where(Ticket.customer_id == customer.id, col(Ticket.status).in_(OPEN_TICKET_STATES))
            .order_by(col(Ticket.created_at).desc())
            .limit(max_tickets)
        ).all()
    )
    interactions = list(
        session.exec(
            select(Interaction)
            .where(Interaction.customer_id == customer.id)
            .order_by(col(Interaction.occurred_at).desc())
            .limit(max_interactions)
        ).all()
    )
    count = session.exec(
        select(func.count()).select_from(Order).where(Order.customer_id == customer.id)
    ).one()
    return CustomerHistory(
        customer=customer,
        orders=[OrderFacts(o, items_by_order[o.id]) for o in orders],
        open_tickets=tickets,
        order_count=int(count),
        interactions=interactions,
    )

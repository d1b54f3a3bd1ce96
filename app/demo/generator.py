"""Deterministic generator of the demo company's CRM data: customers, orders, tickets, contacts."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

import sqlmodel
from sqlmodel import select

from app.demo.catalog import Product, product_by_sku
from app.demo.names import email_domains, make_address, make_phone, pick_locale, pick_person
from app.demo.order_history import OrderDraft, add_business_days, order_history, ship
from app.demo.order_history import tracking_number as make_tracking
from app.demo.support_history import TicketDraft, event_time, interactions_for, make_ticket
from context.crm_tables import Customer, Interaction, Order, OrderItem, Ticket

# Share of customers in each loyalty tier.
TIER_SHARES: tuple[tuple[str, float], ...] = (("plus", 0.22), ("premier", 0.08))


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each CRM table the generator inserted."""

    customers: int
    orders: int
    order_items: int
    tickets: int
    interactions: int


def _ascii(text: str) -> str:
    """Lower-case ASCII letters of ``text`` ("Müller" -> "muller")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _email(rng: random.Random, given: str, family: str, country: str, taken: set[str]) -> str:
    """A unique email address derived from the person's name."""
    g, f = _ascii(given), _ascii(family)
    pattern = rng.choices(range(6), weights=(40, 15, 15, 10, 10, 10))[0]
    local = (f"{g}.{f}", f"{g}{f}", f"{g[0]}.{f}", f"{g}_{f}", f"{f}.{g}",
             f"{g}.{f}{rng.randint(70, 99)}")[pattern]  # fmt: skip
    domain = rng.choice(email_domains(country))
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(1, 999)}@{domain}"
    taken.add(email)
    return email


def _tier_plan(rng: random.Random, customers: int) -> list[str]:
    """Tiers for all customers in the target shares (about 70/22/8), in random order."""
    plan: list[str] = []
    for tier, share in TIER_SHARES:
        plan += [tier] * round(customers * share)
    plan = (plan + ["standard"] * customers)[:customers]
    rng.shuffle(plan)
    return plan


def _customer(
    rng: random.Random, number: int, tier: str, now: dt.datetime, taken: set[str]
) -> Customer:
    """One customer; CUS-10001 is always an English-speaking Plus member in the US."""
    first = number == 10001
    locale = "en" if first else pick_locale(rng)
    given, family, country = pick_person(rng, locale)
    country = "US" if first else country
    tier = "plus" if first else tier
    address = make_address(rng, country)
    phone = make_phone(rng, country, address.city)
    while phone in taken:
        phone = make_phone(rng, country, address.city)
    taken.add(phone)
    days = 1300 if first else rng.randint(30, 1500)
    created = now - dt.timedelta(days=days, minutes=rng.randint(0, 1439))
    return Customer(
        id=f"CUS-{number}",
        name=f"{given} {family}",
        email=_email(rng, given, family, country, taken),
        phone=phone,
        street=address.street,
        city=address.city,
        postcode=address.postcode,
        country=country,
        tier=tier,
        created_at=created,
    )


def _lines(*items: tuple[str, int]) -> list[tuple[Product, int]]:
    """Order lines from (SKU, quantity) pairs."""
    return [(product_by_sku(sku), qty) for sku, qty in items]


def _showcase_orders(rng: random.Random, customer: Customer, now: dt.datetime) -> list[OrderDraft]:
    """CUS-10001's history: an old laptop, a refund, recent headphones, a parcel in transit."""
    today = now.date()

    def at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        day = today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)

    laptop = OrderDraft(customer.id, at(400, 10, 14), "", _lines(("N14-SLV", 1), ("NSL-14", 1)))
    ship(laptop, rng, "US", now, at(400, 15, 20))
    smart_home = OrderDraft(
        customer.id, at(150, 19, 42), "", _lines(("GLB-4PK", 1), ("HHM-CHR", 2))
    )
    ship(smart_home, rng, "US", now, at(149, 16, 5))
    smart_home.status = "refunded"
    # The recent orders are written out in full so the demo always shows them.
    headphones = OrderDraft(customer.id, at(11, 9, 31), "delivered", _lines(("VX2-BLK", 1)))
    headphones.shipped_at = at(11, 15, 47)
    headphones.expected_delivery = add_business_days(headphones.shipped_at.date(), 3)
    headphones.delivered_at = dt.datetime.combine(
        headphones.expected_delivery, dt.time(14, 12), dt.UTC
    )
    parcel = _lines(("ABP-WHT", 1), ("USBC-1M", 2))
    in_transit = OrderDraft(customer.id, at(3, 8, 5), "shipped", parcel)
    in_transit.shipped_at = at(3, 15, 30)
    in_transit.expected_delivery = today + dt.timedelta(days=2)
    for draft in (headphones, in_transit):
        draft.carrier, draft.tracking_number = "UPS", make_tracking(rng, "UPS")
    return [laptop, smart_home, headphones, in_transit]


def _tickets(
    rng: random.Random, customer: Customer, orders: list[OrderDraft], now: dt.datetime
) -> list[TicketDraft]:
    """0-4 tickets; about 30% of customers have an open or pending one about a recent order."""
    count = rng.choices(range(5), weights=(35, 30, 20, 10, 5))[0]
    opened = 0
    if count and rng.random() < 0.46:
        opened = min(count, 3) if rng.random() < 0.06 else 1
    recent = sorted(orders, key=lambda o: o.placed_at, reverse=True)
    settled = [o for o in orders if o.status in {"delivered", "refunded", "cancelled"}]
    settled = [o for o in settled if now - event_time(o) > dt.timedelta(days=3)]
    tickets = []
    for index in range(count):
        is_open = index < opened
        pool = recent[index : index + 1] if is_open else settled
        order = rng.choice(pool) if pool and rng.random() < 0.85 else None
        tickets.append(make_ticket(rng, order, customer, now, is_open=is_open))
    return tickets


def generate_company(
    session: sqlmodel.Session,
    *,
    seed: int = 20261125,
    customers: int = 240,
    today: dt.date = dt.date(2026, 11, 20),
) -> DemoSummary:
    """Insert a deterministic demo CRM (same seed, same rows) into empty tables and commit."""
    if session.exec(select(Customer.id).limit(1)).first() is not None:
        raise ValueError("the CRM tables already hold customers; generate into an empty database")
    rng = random.Random(seed)
    now = dt.datetime.combine(today, dt.time(12, 0), dt.UTC)  # all times are UTC
    taken: set[str] = set()
    tiers = _tier_plan(rng, customers)
    people = [_customer(rng, 10001 + i, tier, now, taken) for i, tier in enumerate(tiers)]
    histories: dict[str, list[OrderDraft]] = {}
    for person in people:
        assert person.country is not None
        histories[person.id] = (
            _showcase_orders(rng, person, now)
            if person.id == "CUS-10001"
            else order_history(rng, person.id, person.country, person.created_at, now, person.tier)
        )
    orders = sorted(
        (o for h in histories.values() for o in h), key=lambda o: (o.placed_at, o.customer_id)
    )
    for number, order in enumerate(orders, start=200001):
        order.id = f"ORD-{number}"

    ticket_lists: dict[str, list[TicketDraft]] = {}
    for person in people:
        history = histories[person.id]
        if person.id == "CUS-10001":
            ticket_lists[person.id] = _showcase_tickets(rng, person, history, now)
        else:
            ticket_lists[person.id] = _tickets(rng, person, history, now)
    tickets = sorted(
        (t for ts in ticket_lists.values() for t in ts), key=lambda t: (t.created_at, t.customer_id)
    )
    for number, ticket in enumerate(tickets, start=300001):
        ticket.id = f"TCK-{number}"

    contacts: list[Interaction] = []
    for person in people:
        count = 5 if person.id == "CUS-10001" else rng.randint(0, 6)
        history, own = histories[person.id], ticket_lists[person.id]
        contacts.extend(interactions_for(rng, person.id, history, own, now, count))
    contacts.sort(key=lambda c: (c.occurred_at, c.customer_id))

    items = [
        OrderItem(order_id=o.id, sku=p.sku, product_name=p.name, quantity=q, unit_price=p.price)
        for o in orders
        for p, q in o.lines
    ]
    session.add_all(people)
    session.flush()
    session.add_all([_order_row(o) for o in orders])
    session.flush()
    session.add_all(items)
    session.add_all([_ticket_row(t) for t in tickets])
    session.add_all(contacts)
    session.commit()
    return DemoSummary(len(people), len(orders), len(items), len(tickets), len(contacts))


def _showcase_tickets(
    rng: random.Random, customer: Customer, orders: list[OrderDraft], now: dt.datetime
) -> list[TicketDraft]:
    """CUS-10001: an open ticket about the new headphones, a solved one about the refund."""
    laptop, smart_home, headphones, _ = orders
    solved = make_ticket(rng, smart_home, customer, now, is_open=False, kind="refund")
    setup = make_ticket(rng, laptop, customer, now, is_open=False, kind="technical")
    current = make_ticket(rng, headphones, customer, now, is_open=True, kind="technical")
    current.status, current.priority, current.updated_at = "open", "normal", current.created_at
    current.product = "Voltra X2 Wireless Headphones"
    current.subject = "Voltra X2 headphones keep disconnecting"
    current.description = (
        f"My Voltra X2 Wireless Headphones from order {headphones.id} keep disconnecting from my "
        "laptop every few minutes. I already turned them off and on again. Can you help?"
    )
    return [setup, solved, current]


def _order_row(draft: OrderDraft) -> Order:
    """The table row for an order draft."""
    return Order(
        id=draft.id,
        customer_id=draft.customer_id,
        placed_at=draft.placed_at,
        status=draft.status,
        total=draft.total,
        carrier=draft.carrier,
        tracking_number=draft.tracking_number,
        shipped_at=draft.shipped_at,
        expected_delivery=draft.expected_delivery,
        delivered_at=draft.delivered_at,
    )


def _ticket_row(draft: TicketDraft) -> Ticket:
    """The table row for a ticket draft."""
    return Ticket(
        id=draft.id,
        customer_id=draft.customer_id,
        order_id=draft.order.id if draft.order else None,
        subject=draft.subject,
        description=draft.description,
        status=draft.status,
        priority=draft.priority,
        category=draft.category,
        created_at=draft.created_at,
        updated_at=draft.updated_at,
    )


__all__ = ["DemoSummary", "generate_company"]

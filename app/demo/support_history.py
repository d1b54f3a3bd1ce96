"""Support tickets and contact history for demo customers, consistent with their orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.demo.catalog import PRODUCTS
from app.demo.order_history import OrderDraft
from app.demo.ticket_text import AGENTS, SUMMARIES, TICKETS
from context.crm_tables import Customer, Interaction


@dataclass
class TicketDraft:
    """A ticket before it has its chronological TCK- id."""

    customer_id: str
    order: OrderDraft | None
    kind: str
    product: str
    category: str
    subject: str
    description: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime
    id: str = ""


# Template keys that are stored under a broader ticket category.
_STORED_CATEGORY: dict[str, str] = {
    "shipping_late": "shipping",
    "shipping_in_transit": "shipping",
    "not_received": "shipping",
    "safety": "technical",
    "cancelled_charge": "billing",
}


# Products with a rechargeable battery: the only ones a safety or battery ticket can be about.
_BATTERY_SKUS: frozenset[str] = frozenset(
    p.sku
    for p in PRODUCTS
    if p.category in {"headphones", "laptops", "phones", "wearables"}
    or p.sku in {"KM50-BDY", "KA4K-BLK", "PC20K-BLK", "SVD-BLK"}
)

# Categories whose products pair with a phone and can drop their connection.
_PAIRED: frozenset[str] = frozenset({"headphones", "smart home", "wearables"})


def _fields(order: OrderDraft | None, rng: random.Random, kind: str) -> dict[str, str]:
    """Template fields for a ticket or summary about ``order``, plus its product's traits."""
    if order is None:
        product = rng.choice(PRODUCTS)
        return {"order": "", "product": product.name, "carrier": "", "tracking": "",
                "expected": "", "total": "", "ticket": "", "battery": "",
                "category": product.category, "article": ""}  # fmt: skip
    products = [p for p, _ in order.lines]
    if kind == "safety":
        products = [p for p in products if p.sku in _BATTERY_SKUS] or products
    if kind in {"technical", "warranty", "safety", "order"}:
        products = [p for p in products if p.support_article] or products
    product = rng.choice(products)
    return {
        "battery": "yes" if product.sku in _BATTERY_SKUS else "",
        "category": product.category,
        "article": product.support_article or "",
        "order": order.id,
        "product": product.name,
        "carrier": order.carrier or "the carrier",
        "tracking": order.tracking_number or "",
        "expected": order.expected_delivery.isoformat() if order.expected_delivery else "",
        "total": f"{order.total} USD",
        "ticket": "",
    }


def ticket_kind(order: OrderDraft | None, rng: random.Random, now: datetime) -> str:
    """A ticket template key that makes sense for the order's status as of ``now``."""
    if order is None:
        return rng.choice(("account", "account", "general"))
    if order.status == "processing":
        return "order_change"
    if order.status == "shipped":
        late = order.expected_delivery is not None and order.expected_delivery < now.date()
        return "shipping_late" if late else "shipping_in_transit"
    if order.status == "cancelled":
        return "cancelled_charge"
    if order.status in {"returned", "refunded"}:
        return "refund"
    age = now - (order.delivered_at or order.placed_at)
    if age <= timedelta(days=7):
        options, weights = ("technical", "damage", "returns", "not_received"), (40, 25, 25, 10)
    elif age <= timedelta(days=60):
        options, weights = ("technical", "returns", "billing", "safety"), (55, 25, 17, 3)
    else:
        options, weights = ("warranty", "technical", "billing", "safety"), (45, 40, 12, 3)
    return rng.choices(options, weights=weights)[0]


def _priority(kind: str, order: OrderDraft | None, tier: str, rng: random.Random) -> str:
    if kind == "safety":
        return "urgent"
    if order is not None and order.total > 1000:
        return "high"
    if kind in {"damage", "shipping_late", "not_received"} and (
        tier == "premier" or rng.random() < 0.3
    ):
        return "high"
    if kind == "general":
        return "low"
    return rng.choices(("normal", "low"), weights=(85, 15))[0]


def event_time(order: OrderDraft) -> datetime:
    """The last thing that happened to an order: delivery, dispatch or placement."""
    return order.delivered_at or order.shipped_at or order.placed_at


def make_ticket(
    rng: random.Random,
    order: OrderDraft | None,
    customer: Customer,
    now: datetime,
    *,
    is_open: bool,
    kind: str | None = None,
) -> TicketDraft:
    """One ticket about ``order``: open ones from the last 10 days, older ones solved or closed."""
    if order is None:
        since = int((now - customer.created_at).total_seconds())
        start = customer.created_at + timedelta(seconds=rng.randint(0, max(0, since - 4 * 86400)))
    else:
        start = event_time(order)
    if is_open:
        start = max(start, now - timedelta(days=10))
        span = int((now - start).total_seconds())
        created = min(start + timedelta(seconds=rng.randint(0, span)), now - timedelta(minutes=30))
        status = rng.choices(("open", "pending"), weights=(65, 35))[0]
        updated = created if status == "open" else min(now, created + timedelta(hours=5))
        kind = kind or ticket_kind(order, rng, now)
    else:  # callers pass orders whose last event is at least 3 days old
        created = min(start + timedelta(hours=rng.randint(2, 20 * 24)), now - timedelta(days=2))
        updated = min(created + timedelta(hours=rng.randint(2, 120)), now)
        status = "solved" if now - updated < timedelta(days=14) else "closed"
        kind = kind or ticket_kind(order, rng, created)
    fields = _fields(order, rng, kind)
    if kind == "safety" and not fields["battery"]:
        kind = "technical"
    if kind == "technical" and not fields["article"]:
        kind = "warranty"  # nothing to troubleshoot on a cable or a lens
    templates = TICKETS[kind]
    if (kind == "technical" and fields["category"] not in _PAIRED) or (
        kind == "warranty" and not fields["battery"]
    ):
        templates = templates[:1]
    subject, body = rng.choice(templates)
    if customer.phone and rng.random() < 0.2:
        body += f" You can call me on {customer.phone}."
    return TicketDraft(
        customer_id=customer.id,
        order=order,
        kind=kind,
        product=fields["product"],
        category=_STORED_CATEGORY.get(kind, kind),
        subject=subject.format(**fields)[:300],
        description=body.format(**fields),
        status=status,
        priority=_priority(kind, order, customer.tier, rng),
        created_at=created.replace(microsecond=0),
        updated_at=updated.replace(microsecond=0),
    )


def interactions_for(
    rng: random.Random,
    customer_id: str,
    orders: list[OrderDraft],
    tickets: list[TicketDraft],
    now: datetime,
    count: int,
) -> list[Interaction]:
    """Up to ``count`` past contacts: about the customer's tickets first, then their orders."""
    found: list[tuple[datetime, str, str]] = []
    for ticket in tickets:
        fields = _fields(ticket.order, rng, ticket.kind)
        fields["ticket"], fields["product"] = ticket.id, ticket.product
        at = min(ticket.created_at + timedelta(minutes=rng.randint(10, 600)), now)
        found.append((at, rng.choice(SUMMARIES[ticket.kind]).format(**fields), ticket.category))
    for order in rng.sample(orders, k=min(len(orders), 3)):
        at = min(order.placed_at + timedelta(hours=rng.randint(1, 72)), now)
        summary = rng.choice(SUMMARIES["order"])
        if "would ship" in summary:  # asked before dispatch, not after
            at = order.placed_at + ((order.shipped_at or now) - order.placed_at) / 2
        found.append((at, summary.format(**_fields(order, rng, "order")), ""))
    chosen = sorted(found[:count], key=lambda item: item[0])
    rows = []
    for at, summary, category in chosen:
        channel = rng.choices(("email", "chat", "phone"), weights=(45, 35, 20))[0]
        by_assistant = channel == "chat" and category in {"", "shipping"} and rng.random() < 0.4
        rows.append(
            Interaction(
                customer_id=customer_id,
                channel=channel,
                occurred_at=at.replace(microsecond=0),
                summary=summary,
                agent=None if by_assistant else rng.choice(AGENTS),
            )
        )
    return rows


__all__ = ["TicketDraft", "event_time", "interactions_for", "make_ticket", "ticket_kind"]

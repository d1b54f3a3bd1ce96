"""Order histories for demo customers: items from the catalog, statuses consistent with dates."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app.demo.catalog import PRODUCTS, Product

# Business days in transit after dispatch, by destination (see delivery-times-by-region.md).
_TRANSIT_DAYS: dict[str, tuple[int, int]] = {
    "US": (3, 5), "GB": (2, 4), "DE": (2, 3), "FR": (3, 6), "ES": (3, 6),
    "IN": (6, 10), "CN": (7, 14), "NG": (7, 14),
}  # fmt: skip
_CARRIERS: dict[str, tuple[tuple[str, int], ...]] = {
    "US": (("UPS", 5), ("FedEx", 3), ("USPS", 2)),
    "GB": (("DHL", 6), ("UPS", 4)),
    "DE": (("DHL", 1),), "FR": (("DHL", 1),), "ES": (("DHL", 1),),
    "IN": (("DHL", 6), ("FedEx", 4)), "CN": (("DHL", 5), ("FedEx", 5)),
    "NG": (("DHL", 7), ("FedEx", 3)),
}  # fmt: skip
_CATEGORY_WEIGHT: dict[str, float] = {
    "accessories": 5.0, "headphones": 4.0, "smart home": 4.0, "wearables": 2.5,
    "phones": 2.0, "laptops": 1.5, "cameras": 1.0,
}  # fmt: skip
_PRODUCT_WEIGHTS: tuple[float, ...] = tuple(_CATEGORY_WEIGHT[p.category] for p in PRODUCTS)


@dataclass
class OrderDraft:
    """An order before it has its chronological ORD- id."""

    customer_id: str
    placed_at: datetime
    status: str
    lines: list[tuple[Product, int]]
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    expected_delivery: date | None = None
    delivered_at: datetime | None = None
    id: str = field(default="")

    @property
    def total(self) -> Decimal:
        """Sum of the order lines."""
        return sum((p.price * q for p, q in self.lines), Decimal("0.00")).quantize(Decimal("0.01"))


def add_business_days(start: date, days: int) -> date:
    """Return the date ``days`` business days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def tracking_number(rng: random.Random, carrier: str) -> str:
    """A tracking number in the carrier's usual format."""
    digits = string.digits
    if carrier == "UPS":
        body = "".join(rng.choices(string.ascii_uppercase + digits, k=6))
        return f"1Z{body}03{''.join(rng.choices(digits, k=8))}"
    if carrier == "FedEx":
        return "".join(rng.choices(digits, k=12))
    if carrier == "USPS":
        return "9400" + "".join(rng.choices(digits, k=18))
    return "".join(rng.choices(digits, k=10))


def pick_lines(rng: random.Random) -> list[tuple[Product, int]]:
    """Choose 1-4 distinct catalog products with quantities."""
    count = rng.choices((1, 2, 3, 4), weights=(50, 28, 14, 8))[0]
    chosen: list[Product] = []
    while len(chosen) < count:
        product = rng.choices(PRODUCTS, weights=_PRODUCT_WEIGHTS)[0]
        if product not in chosen:
            chosen.append(product)
    lines = []
    for product in chosen:
        qty = rng.choices((1, 2, 3), weights=(75, 20, 5))[0] if product.price < 50 else 1
        lines.append((product, qty))
    return lines


def ship(
    draft: OrderDraft, rng: random.Random, country: str, now: datetime, shipped_at: datetime
) -> None:
    """Fill carrier, tracking and dates from ``shipped_at``, then set the status as of ``now``."""
    carriers, weights = zip(*_CARRIERS[country], strict=True)
    draft.carrier = rng.choices(carriers, weights=weights)[0]
    draft.tracking_number = tracking_number(rng, draft.carrier)
    draft.shipped_at = shipped_at
    low, high = _TRANSIT_DAYS[country]
    draft.expected_delivery = add_business_days(shipped_at.date(), rng.randint(low, high))
    # Most parcels arrive on the expected day or one day early; some are late.
    slip = rng.choices((-1, 0, 1, 2, 3, 5), weights=(20, 62, 8, 5, 3, 2))[0]
    arrival = max(draft.expected_delivery + timedelta(days=slip), shipped_at.date())
    delivered_at = datetime.combine(arrival, time(0, 0), shipped_at.tzinfo) + timedelta(
        hours=rng.randint(9, 19), minutes=rng.randint(0, 59)
    )
    draft.delivered_at = max(delivered_at, shipped_at + timedelta(hours=20))
    if now < draft.shipped_at:
        draft.status, draft.carrier, draft.tracking_number = "processing", None, None
        draft.shipped_at = draft.expected_delivery = draft.delivered_at = None
    elif now < draft.delivered_at:
        draft.status, draft.delivered_at = "shipped", None
    else:
        draft.status = "delivered"


def dispatch_time(rng: random.Random, placed_at: datetime) -> datetime:
    """Same afternoon when placed by 14:00 on a weekday, else the next business day."""
    day = placed_at.date()
    if placed_at.weekday() >= 5 or placed_at.hour >= 14:
        day = add_business_days(day, 1)
    return datetime.combine(day, time(rng.randint(15, 18), rng.randint(0, 59)), placed_at.tzinfo)


def make_order(
    rng: random.Random, customer_id: str, country: str, placed_at: datetime, now: datetime
) -> OrderDraft:
    """One order placed at ``placed_at`` whose status is consistent with ``now``."""
    draft = OrderDraft(customer_id, placed_at, "processing", pick_lines(rng))
    if rng.random() < 0.04:
        draft.status = "cancelled"
        return draft
    ship(draft, rng, country, now, dispatch_time(rng, placed_at))
    if draft.status == "delivered" and draft.delivered_at is not None:
        age = now - draft.delivered_at
        roll = rng.random()
        if age > timedelta(days=14) and roll < 0.06:
            draft.status = "refunded"
        elif timedelta(days=5) < age < timedelta(days=45) and roll < 0.14:
            draft.status = "returned"
    return draft


def order_history(
    rng: random.Random, customer_id: str, country: str, since: datetime, now: datetime, tier: str
) -> list[OrderDraft]:
    """1-12 orders placed between ``since`` (or two years ago) and ``now``, oldest first."""
    count = rng.choices(range(1, 13), weights=(18, 17, 15, 12, 10, 8, 6, 5, 3, 2, 2, 2))[0]
    count = min(12, count + {"plus": 1, "premier": 2}.get(tier, 0))
    start = max(since, now - timedelta(days=730))
    span = int((now - start).total_seconds()) - 3600
    moments = sorted(start + timedelta(seconds=rng.randint(0, span)) for _ in range(count))
    if count < 12 and rng.random() < 0.04:  # some customers are shopping right now
        moments = [*moments, now - timedelta(minutes=rng.randint(30, 20 * 60))]
        moments.sort()
    return [make_order(rng, customer_id, country, at.replace(microsecond=0), now) for at in moments]


__all__ = [
    "OrderDraft",
    "add_business_days",
    "make_order",
    "order_history",
    "pick_lines",
    "ship",
    "tracking_number",
]

"""The demo company: deterministic CRM data, knowledge base articles and business rules."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import sqlmodel
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from app.demo import KNOWLEDGE_DIR, RULES_FILE, DemoSummary, generate_company
from app.demo.catalog import PRODUCTS
from context.crm_tables import Customer, Interaction, Order, OrderItem, Ticket

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime.combine(TODAY, dt.time(12, 0), dt.UTC)
TABLES: tuple[Any, ...] = (Customer, Order, OrderItem, Ticket, Interaction)


def build(seed: int = 20261125, customers: int = 240) -> tuple[Engine, DemoSummary]:
    """A fresh in-memory CRM filled by the generator."""
    engine = sqlmodel.create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        summary = generate_company(session, seed=seed, customers=customers, today=TODAY)
    return engine, summary


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every CRM table, read back from the database in primary-key order."""
    with Session(engine) as session:
        return {
            table.__tablename__: [
                row.model_dump()
                for row in session.exec(select(table).order_by(*table.__table__.primary_key))
            ]
            for table in TABLES
        }


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite may hand datetimes back without a zone; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def company() -> tuple[Engine, DemoSummary]:
    return build()


@pytest.fixture(scope="module")
def rows(company: tuple[Engine, DemoSummary]) -> dict[str, list[dict[str, Any]]]:
    return dump(company[0])


def test_counts_match_the_summary_and_every_customer_has_orders(
    company: tuple[Engine, DemoSummary], rows: dict[str, list[dict[str, Any]]]
) -> None:
    _, summary = company
    assert summary.customers == len(rows["crm_customers"]) == 240
    assert summary.orders == len(rows["crm_orders"])
    assert summary.order_items == len(rows["crm_order_items"])
    assert summary.tickets == len(rows["crm_tickets"])
    assert summary.interactions == len(rows["crm_interactions"])
    with_orders = {o["customer_id"] for o in rows["crm_orders"]}
    assert len(with_orders) >= 200
    per_customer = Counter(o["customer_id"] for o in rows["crm_orders"])
    assert max(per_customer.values()) <= 12
    assert summary.tickets > 150 and summary.interactions > 300


def test_same_seed_gives_identical_rows_and_another_seed_differs(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    again, _ = build()
    assert dump(again) == rows
    other, _ = build(seed=7)
    other_rows = dump(other)
    assert other_rows["crm_customers"] != rows["crm_customers"]
    assert other_rows["crm_orders"] != rows["crm_orders"]


def test_generating_twice_into_the_same_database_is_refused(
    company: tuple[Engine, DemoSummary],
) -> None:
    with Session(company[0]) as session, pytest.raises(ValueError, match="already"):
        generate_company(session, today=TODAY)


def test_every_order_has_items_that_add_up_to_its_total(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    sums: dict[str, Decimal] = {}
    for item in rows["crm_order_items"]:
        assert item["quantity"] >= 1
        line = Decimal(item["unit_price"]) * item["quantity"]
        sums[item["order_id"]] = sums.get(item["order_id"], Decimal(0)) + line
    catalog = {p.sku: p for p in PRODUCTS}
    assert all(catalog[i["sku"]].name == i["product_name"] for i in rows["crm_order_items"])
    for order in rows["crm_orders"]:
        assert order["id"] in sums, f"{order['id']} has no items"
        assert Decimal(order["total"]) == sums[order["id"]], order["id"]


def test_customer_details_are_unique_and_varied(rows: dict[str, list[dict[str, Any]]]) -> None:
    customers = rows["crm_customers"]
    emails = [c["email"].lower() for c in customers]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}", e) for e in emails)
    phonenumbers = pytest.importorskip("phonenumbers")
    # Valid numbers, so the pseudonymiser's phone recognizer sees them as phone numbers.
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(c["phone"])) for c in customers)
    assert len({c["phone"] for c in customers}) == len(customers)
    assert len({c["country"] for c in customers}) >= 6
    assert any(not c["name"].isascii() for c in customers)  # García, Müller, Lefèvre ...
    tiers = Counter(c["tier"] for c in customers)
    assert 0.55 < tiers["standard"] / 240 < 0.85
    assert 0.10 < tiers["plus"] / 240 < 0.35
    assert 0.02 < tiers["premier"] / 240 < 0.16
    assert [c["id"] for c in customers][:2] == ["CUS-10001", "CUS-10002"]


def test_order_statuses_agree_with_their_dates(rows: dict[str, list[dict[str, Any]]]) -> None:
    joined = {c["id"]: aware(c["created_at"]) for c in rows["crm_customers"]}
    statuses = Counter(o["status"] for o in rows["crm_orders"])
    assert {"processing", "shipped", "delivered", "cancelled", "refunded"} <= set(statuses)
    for order in rows["crm_orders"]:
        placed = aware(order["placed_at"])
        assert joined[order["customer_id"]] <= placed <= NOW
        assert placed >= NOW - dt.timedelta(days=731)
        status, shipped, delivered = order["status"], order["shipped_at"], order["delivered_at"]
        if status in {"processing", "cancelled"}:
            assert shipped is None and delivered is None and order["tracking_number"] is None
            continue
        assert order["carrier"] in {"UPS", "FedEx", "DHL", "USPS"}
        assert order["tracking_number"] and order["expected_delivery"]
        assert placed <= aware(shipped) <= NOW
        assert order["expected_delivery"] > aware(shipped).date()
        if status == "shipped":
            assert delivered is None
        else:
            assert aware(shipped) <= aware(delivered) <= NOW, order["id"]


def test_order_ids_follow_the_order_they_were_placed_in(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    orders = rows["crm_orders"]
    assert orders[0]["id"] == "ORD-200001"
    placed = [aware(o["placed_at"]) for o in orders]
    assert placed == sorted(placed)
    assert rows["crm_tickets"][0]["id"] == "TCK-300001"


def test_tickets_belong_to_the_customer_and_open_ones_are_recent(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    owner = {o["id"]: o["customer_id"] for o in rows["crm_orders"]}
    per_customer = Counter(t["customer_id"] for t in rows["crm_tickets"])
    assert max(per_customer.values()) <= 4
    open_customers = set()
    for ticket in rows["crm_tickets"]:
        assert ticket["status"] in {"open", "pending", "solved", "closed"}
        assert ticket["priority"] in {"low", "normal", "high", "urgent"}
        if ticket["order_id"]:
            assert owner[ticket["order_id"]] == ticket["customer_id"]
            assert ticket["order_id"] in ticket["subject"] + ticket["description"]
        created = aware(ticket["created_at"])
        assert created <= aware(ticket["updated_at"]) <= NOW
        if ticket["status"] in {"open", "pending"}:
            open_customers.add(ticket["customer_id"])
            assert created >= NOW - dt.timedelta(days=11)
        assert "{" not in ticket["subject"] + ticket["description"]
    assert 0.2 < len(open_customers) / 240 < 0.4
    for contact in rows["crm_interactions"]:
        assert contact["channel"] in {"email", "chat", "phone"}
        assert aware(contact["occurred_at"]) <= NOW and "{" not in contact["summary"]


def test_cus_10001_is_a_plus_customer_with_a_parcel_in_transit_and_an_open_ticket(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    (customer,) = [c for c in rows["crm_customers"] if c["id"] == "CUS-10001"]
    assert customer["tier"] == "plus"
    orders = [o for o in rows["crm_orders"] if o["customer_id"] == "CUS-10001"]
    assert len(orders) >= 3
    in_transit = [o for o in orders if o["status"] == "shipped"]
    assert in_transit and in_transit[0]["expected_delivery"] >= TODAY
    recent = [o for o in orders if o["status"] == "delivered" and o["delivered_at"]]
    assert any(aware(o["delivered_at"]) > NOW - dt.timedelta(days=14) for o in recent)
    tickets = [t for t in rows["crm_tickets"] if t["customer_id"] == "CUS-10001"]
    assert any(t["status"] == "open" and t["order_id"] for t in tickets)
    assert any(i["customer_id"] == "CUS-10001" for i in rows["crm_interactions"])


def _article(path: Any) -> tuple[dict[str, Any], str]:
    """Front matter and body of a knowledge article."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path.name
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_every_knowledge_article_has_front_matter_and_sections() -> None:
    paths = sorted(KNOWLEDGE_DIR.glob("*.md"))
    assert len(paths) >= 40
    audiences: Counter[str] = Counter()
    for path in paths:
        meta, body = _article(path)
        assert isinstance(meta["title"], str) and meta["title"], path.name
        assert meta["audience"] in {"public", "internal"}, path.name
        assert isinstance(meta["updated"], dt.date), path.name
        assert isinstance(meta["tags"], list) and meta["tags"], path.name
        audiences[meta["audience"]] += 1
        assert body.lstrip().startswith(f"# {meta['title']}\n"), path.name
        assert body.count("\n## ") >= 3, path.name
        assert 250 <= len(body.split()) <= 700, path.name
    assert audiences["internal"] >= 5


def test_every_product_with_a_troubleshooting_article_is_named_in_it() -> None:
    articles = {p.stem: p.read_text(encoding="utf-8") for p in KNOWLEDGE_DIR.glob("*.md")}
    supported = [p for p in PRODUCTS if p.support_article]
    assert len({p.support_article for p in supported}) >= 12
    for product in supported:
        assert product.support_article in articles, product.support_article
        assert product.name in articles[product.support_article], product.name
        meta, _ = _article(KNOWLEDGE_DIR / f"{product.support_article}.md")
        assert "troubleshooting" in meta["tags"]


def test_rules_load_and_the_articles_quote_the_same_numbers() -> None:
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    assert str(rules["version"]) == "2026.11.1"
    for key in ("refund_window_days", "restocking_fee", "sla_first_response_hours",
                "escalation_triggers", "never_promise"):  # fmt: skip
        assert key in rules
    tiers = rules["tiers"]
    assert set(rules["refund_window_days"]) == set(tiers) == set(rules["sla_first_response_hours"])
    assert rules["escalation_triggers"]["order_total_over_usd"] == 1000
    assert "chargeback" in rules["escalation_triggers"]["keywords"]
    assert all(isinstance(p, str) for p in rules["never_promise"])
    returns = (KNOWLEDGE_DIR / "returns-and-refunds.md").read_text(encoding="utf-8")
    loyalty = (KNOWLEDGE_DIR / "loyalty-tiers.md").read_text(encoding="utf-8")
    contact = (KNOWLEDGE_DIR / "contact-and-support-hours.md").read_text(encoding="utf-8")
    for tier in tiers:
        days = rules["refund_window_days"][tier]
        assert f"{tier.capitalize()}** members: {days} days" in returns
        hours = rules["sla_first_response_hours"][tier]
        assert f"| {tier.capitalize()} | Within {hours} hours |" in contact
        assert f"Within {hours} hours" in loyalty
    assert f"{rules['restocking_fee']['percent']}%" in returns

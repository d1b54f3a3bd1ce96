"""Import customers, orders (with items) and tickets from CSV or JSON: every row validated first.

All or nothing: every row is checked (types, allowed values, references to customers and orders
in the database or earlier in the same file) before anything is written; a file with any bad row
writes nothing and the caller gets every problem with its line, field and reason. A row whose id
exists already updates it (re-importing an export is safe).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, delete, select

from context.crm_tables import Customer, Order, OrderItem, Ticket

Kind = Literal["customers", "orders", "tickets"]
KINDS: tuple[Kind, ...] = ("customers", "orders", "tickets")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the line (CSV) or record number (JSON), the field, and why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class ImportFailed(ValueError):
    """The file has bad rows; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing imported")
        self.errors = errors


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: object) -> object:
        # A time without a zone is taken as UTC, the only clock the tables use.
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class _Row(_Fields):
    """A record with its own id."""

    id: str


class CustomerRow(_Row):
    """A customer as the import file gives it."""

    id: str = Field(pattern=r"^CUS-\d+$", max_length=32)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    tier: Literal["standard", "plus", "premier"] = "standard"
    created_at: datetime


class ItemRow(_Fields):
    """One line of an order."""

    sku: str = Field(min_length=1, max_length=64)
    product_name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1)
    unit_price: Decimal = Field(ge=0, decimal_places=2)


class _Owned(_Row):
    """A row that belongs to a customer."""

    customer_id: str = Field(max_length=32)


class OrderRow(_Owned):
    """An order with its items (a JSON list; in CSV a JSON array in the ``items`` column)."""

    id: str = Field(pattern=r"^ORD-\d+$", max_length=32)
    placed_at: datetime
    status: Literal["processing", "shipped", "delivered", "cancelled", "returned", "refunded"]
    total: Decimal = Field(ge=0, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    shipped_at: datetime | None = None
    expected_delivery: date | None = None
    delivered_at: datetime | None = None
    items: list[ItemRow] = Field(default_factory=list)

    @field_validator("items", mode="before")
    @classmethod
    def _items_from_csv(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("items must be a JSON array of {sku, product_name, ...}") from None
        return value if value is not None else []


class TicketRow(_Owned):
    """A support ticket."""

    id: str = Field(pattern=r"^TCK-\d+$", max_length=32)
    order_id: str | None = Field(default=None, max_length=32)
    subject: str = Field(min_length=1, max_length=300)
    description: str = ""
    status: Literal["open", "pending", "solved", "closed"] = "open"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    category: str = Field(default="general", max_length=64)
    created_at: datetime
    updated_at: datetime | None = None


MODELS: dict[Kind, type[_Row]] = {
    "customers": CustomerRow,
    "orders": OrderRow,
    "tickets": TicketRow,
}


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line or record number, raw row) from a .csv (header line 1) or .json (a list) file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k is not None}
        return
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("a JSON import file holds a list of objects")
        for number, row in enumerate(data, start=1):
            yield number, row if isinstance(row, dict) else {"(row)": row}
        return
    raise ValueError(f"{path.name}: use a .csv or .json file")


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(row)"


def validate(kind: Kind, path: Path, session: Session) -> list[_Row]:
    """Every row validated against the schema and the database; ImportFailed lists problems."""
    model = MODELS[kind]
    errors: list[RowError] = []
    rows: list[tuple[int, _Row]] = []
    seen: dict[str, int] = {}
    for line, raw in read_rows(path):
        try:
            row = model.model_validate(raw)
        except ValidationError as exc:
            errors += [RowError(line, _field(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
            continue
        row_id = str(row.id)
        if row_id in seen:
            errors.append(RowError(line, "id", f"{row_id} repeats line {seen[row_id]}"))
            continue
        seen[row_id] = line
        rows.append((line, row))
    errors += _references(kind, rows, session)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    return [row for _, row in rows]


def _existing(session: Session, table: type[Customer] | type[Order], ids: set[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        found |= set(session.exec(select(table.id).where(col(table.id).in_(chunk))).all())
    return found


def _references(kind: Kind, rows: list[tuple[int, _Row]], session: Session) -> list[RowError]:
    errors: list[RowError] = []
    if kind == "customers":
        emails: dict[str, int] = {}
        for line, row in rows:
            assert isinstance(row, CustomerRow)
            email = row.email.lower()
            if email in emails:
                errors.append(RowError(line, "email", f"same email as line {emails[email]}"))
            emails[email] = line
            owner = session.exec(select(Customer.id).where(Customer.email == row.email)).first()
            if owner is not None and owner != row.id:
                errors.append(RowError(line, "email", f"already belongs to {owner}"))
        return errors
    owned = [(line, row) for line, row in rows if isinstance(row, _Owned)]
    customers = _existing(session, Customer, {row.customer_id for _, row in owned})
    orders: set[str] = set()
    if kind == "tickets":
        wanted = {r.order_id for _, r in rows if isinstance(r, TicketRow) and r.order_id}
        orders = _existing(session, Order, wanted)
    for line, row in owned:
        customer_id = row.customer_id
        if customer_id not in customers:
            errors.append(RowError(line, "customer_id", f"unknown customer {customer_id}"))
        if isinstance(row, TicketRow) and row.order_id and row.order_id not in orders:
            errors.append(RowError(line, "order_id", f"unknown order {row.order_id}"))
        if isinstance(row, OrderRow):
            errors += _order_consistency(line, row)
    return errors


def _order_consistency(line: int, row: OrderRow) -> list[RowError]:
    errors = []
    if row.delivered_at and row.delivered_at < row.placed_at:
        errors.append(RowError(line, "delivered_at", "before placed_at"))
    if row.status == "delivered" and row.delivered_at is None:
        errors.append(RowError(line, "delivered_at", "required when status is delivered"))
    return errors


def write(kind: Kind, rows: list[_Row], session: Session) -> int:
    """Upsert validated rows in the caller's transaction; returns how many were written."""
    for row in rows:
        data = row.model_dump()
        if isinstance(row, OrderRow):
            items = data.pop("items")
            session.merge(Order(**data))
            session.exec(delete(OrderItem).where(col(OrderItem.order_id) == row.id))
            session.add_all(OrderItem(order_id=row.id, **item) for item in items)
        elif isinstance(row, TicketRow):
            data["updated_at"] = data["updated_at"] or data["created_at"]
            session.merge(Ticket(**data))
        else:
            session.merge(Customer(**data))
    return len(rows)


def import_file(kind: Kind, path: Path, session: Session) -> int:
    """Validate the whole file, then write it in one transaction (nothing on any error)."""
    rows = validate(kind, path, session)
    try:
        count = write(kind, rows, session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return count

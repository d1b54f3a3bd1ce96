"""SQLModel tables of the company's CRM: customers, orders with items, tickets, interactions.

Ids are the company's own readable references (``CUS-10001``, ``ORD-200001``, ``TCK-30001``), so an
agent can say them aloud and a customer can quote them in a message.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric
from sqlmodel import Field, SQLModel


class Customer(SQLModel, table=True):
    """A customer of the company, with contact details and service tier."""

    __tablename__ = "crm_customers"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(index=True, max_length=200)
    email: str = Field(index=True, unique=True, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, max_length=2)
    tier: str = Field(default="standard", max_length=32)  # standard | plus | premier
    created_at: datetime


class Order(SQLModel, table=True):
    """One order placed by a customer."""

    __tablename__ = "crm_orders"
    # The history query: one customer's orders, newest first, LIMIT n (migration 0003).
    __table_args__ = (Index("ix_crm_orders_customer_placed", "customer_id", "placed_at"),)

    id: str = Field(primary_key=True, max_length=32)
    customer_id: str = Field(foreign_key="crm_customers.id", index=True, max_length=32)
    placed_at: datetime = Field(index=True)
    # processing | shipped | delivered | cancelled | returned | refunded
    status: str = Field(max_length=32)
    total: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    currency: str = Field(default="USD", max_length=3)
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    shipped_at: datetime | None = None
    expected_delivery: date | None = None
    delivered_at: datetime | None = None


class OrderItem(SQLModel, table=True):
    """One line of an order."""

    __tablename__ = "crm_order_items"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="crm_orders.id", index=True, max_length=32)
    sku: str = Field(max_length=64)
    product_name: str = Field(max_length=200)
    quantity: int = 1
    unit_price: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))


class Ticket(SQLModel, table=True):
    """A support ticket, optionally about one order."""

    __tablename__ = "crm_tickets"
    __table_args__ = (
        Index("ix_crm_tickets_customer_status", "customer_id", "status", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    customer_id: str = Field(foreign_key="crm_customers.id", index=True, max_length=32)
    order_id: str | None = Field(default=None, foreign_key="crm_orders.id", max_length=32)
    subject: str = Field(max_length=300)
    description: str = ""
    status: str = Field(default="open", max_length=32)  # open | pending | solved | closed
    priority: str = Field(default="normal", max_length=32)  # low | normal | high | urgent
    category: str = Field(default="general", max_length=64)
    created_at: datetime = Field(index=True)
    updated_at: datetime


class Interaction(SQLModel, table=True):
    """A past contact with the customer (email, chat, phone) and its summary."""

    __tablename__ = "crm_interactions"
    __table_args__ = (Index("ix_crm_interactions_customer_time", "customer_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="crm_customers.id", index=True, max_length=32)
    channel: str = Field(max_length=32)  # email | chat | phone
    occurred_at: datetime = Field(index=True)
    summary: str
    agent: str | None = Field(default=None, max_length=100)


__all__ = ["Customer", "Interaction", "Order", "OrderItem", "Ticket"]

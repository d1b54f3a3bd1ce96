"""CRM import: every bad row named (line, field, why), all or nothing, upserts on re-import."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.cli_import import register
from app.errors import DeskpilotError
from app.storage.database import make_engine, migrate, session_factory
from context.crm_tables import Customer, Order, OrderItem, Ticket
from context.importer import ImportFailed, import_file

CUSTOMERS_CSV = """id,name,email,phone,city,country,tier,created_at
CUS-1,Ada Lovelace,ada@example.com,+44 20 7946 0000,London,GB,premier,2024-01-02T10:00:00
CUS-2,Alan Turing,alan@example.com,,Wilmslow,GB,plus,2024-03-04T09:30:00
"""


@pytest.fixture()
def sessions(tmp_path: Path) -> Iterator[object]:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def count(session: Session, table: type) -> int:
    return int(session.exec(select(func.count()).select_from(table)).one())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(
    sessions, tmp_path: Path
) -> None:
    bad = write(
        tmp_path,
        "customers.csv",
        CUSTOMERS_CSV
        + "CUS-3,Grace Hopper,not-an-email,,,US,gold,2024-05-06T08:00:00\n"
        + "CUS-4,,hopper@example.com,,,USA,plus,yesterday\n"
        + "CUS-1,Ada Again,ada2@example.com,,,GB,plus,2024-01-02T10:00:00\n",
    )
    with sessions() as session, pytest.raises(ImportFailed) as failed:
        import_file("customers", bad, session)
    problems = {(e.line, e.field) for e in failed.value.errors}
    assert problems == {
        (4, "email"),
        (4, "tier"),
        (5, "name"),
        (5, "country"),
        (5, "created_at"),
        (6, "id"),
    }
    assert "repeats line 2" in next(str(e) for e in failed.value.errors if e.line == 6)
    with sessions() as session:
        assert count(session, Customer) == 0, "all or nothing: the good rows were not written"


def test_orders_and_tickets_import_with_items_and_check_references(
    sessions, tmp_path: Path
) -> None:
    with sessions() as session:
        assert import_file("customers", write(tmp_path, "c.csv", CUSTOMERS_CSV), session) == 2
    orders = [
        {
            "id": "ORD-1",
            "customer_id": "CUS-1",
            "placed_at": "2026-11-01T10:00:00",
            "status": "delivered",
            "total": "129.90",
            "delivered_at": "2026-11-03T12:00:00",
            "items": [{"sku": "VX2", "product_name": "Voltra X2", "unit_price": "129.90"}],
        },
        {"id": "ORD-2", "customer_id": "CUS-9", "placed_at": "2026-11-01T10:00:00",
         "status": "lost", "total": "-1"},
        {"id": "ORD-3", "customer_id": "CUS-2", "placed_at": "2026-11-01T10:00:00",
         "status": "delivered", "total": "10.00"},
    ]  # fmt: skip
    bad_orders = write(tmp_path, "orders.json", json.dumps(orders))
    with sessions() as session, pytest.raises(ImportFailed) as failed:
        import_file("orders", bad_orders, session)
    assert {(e.line, e.field) for e in failed.value.errors} == {
        (2, "status"),
        (2, "total"),
        (3, "delivered_at"),
    }
    good = write(tmp_path, "orders-ok.json", json.dumps([orders[0]]))
    with sessions() as session:
        assert import_file("orders", good, session) == 1
        assert import_file("orders", good, session) == 1  # re-import updates, no duplicates
        assert count(session, Order) == 1 and count(session, OrderItem) == 1

    tickets = write(
        tmp_path,
        "tickets.csv",
        "id,customer_id,order_id,subject,status,priority,created_at\n"
        "TCK-1,CUS-1,ORD-1,Speaker crackles,open,high,2026-11-05T10:00:00\n"
        "TCK-2,CUS-7,ORD-404,Where is it,open,normal,2026-11-05T10:00:00\n",
    )
    with sessions() as session, pytest.raises(ImportFailed) as failed:
        import_file("tickets", tickets, session)
    assert {(e.line, e.field) for e in failed.value.errors} == {
        (3, "customer_id"),
        (3, "order_id"),
    }
    with sessions() as session:
        assert count(session, Ticket) == 0


def test_the_cli_lists_bad_rows_on_stderr_and_fails_with_exit_2(
    sessions, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    register(parser.add_subparsers(dest="command"))
    data_dir = tmp_path / "data"
    bad = write(tmp_path, "c.csv", CUSTOMERS_CSV + "CUS-3,X,bad,,,,standard,2024-01-01\n")
    args = parser.parse_args(["--data-dir", str(data_dir), "import", "customers", str(bad)])
    with pytest.raises(DeskpilotError, match="1 problem\\(s\\) in 1 row\\(s\\); nothing imported"):
        args.func(args)
    assert "c.csv: line 4: email:" in capsys.readouterr().err
    good = write(tmp_path, "ok.csv", CUSTOMERS_CSV)
    args = parser.parse_args(["--data-dir", str(data_dir), "import", "customers", str(good)])
    assert args.func(args) == 0
    assert "Imported 2 customers from ok.csv." in capsys.readouterr().out

"""The conversation list: totals equal the ledger's exact sums, filters narrow, CSV and charts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from app.storage.tables import CallRecord
from tests.supervisor_seed import (
    SECRET,
    Seeded,
    audit_actions,
    client,
    postgres_database,
    seed,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, runtime: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """The same data on SQLite and on a fresh PostgreSQL database: sums and days must agree."""
    tmp_path = tmp_path_factory.mktemp("supervisor-list")
    if request.param == "sqlite":
        found = seed(runtime, tmp_path)
        yield found
        found.runtime.database.engine.dispose()
        return
    with postgres_database() as url:
        found = seed(runtime, tmp_path, url)
        yield found
        found.runtime.database.engine.dispose()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)


def listed(html: str) -> list[int]:
    """Conversation ids of the table rows, in page order."""
    return [int(i) for i in re.findall(r'<tr data-conversation-id="(\d+)"', html)]


def total(html: str, name: str) -> str:
    found = re.search(rf'data-total="{name}"(?: data-value="([^"]*)")?>([^<]*)<', html)
    assert found, name
    return found.group(1) or found.group(2)


def test_list_is_newest_first_with_totals_equal_to_the_ledger(seeded: Seeded) -> None:
    response = client(seeded, "sup").get("/supervisor")
    assert response.status_code == 200
    html = response.text
    assert listed(html) == [seeded.c3, seeded.c2, seeded.c1]
    with seeded.sessions() as session:
        rows = session.exec(select(CallRecord)).all()
    ledger_cost = sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0))
    assert Decimal(total(html, "cost_usd")) == ledger_cost == Decimal("0.50012348")
    tokens_in = sum(
        r.input_tokens if r.input_tokens is not None else r.input_tokens_estimate for r in rows
    )
    assert int(total(html, "tokens_in")) == tokens_in == 4990
    assert int(total(html, "tokens_out")) == 725
    assert total(html, "conversations") == "3" and total(html, "turns") == "4"
    assert total(html, "degraded") == "1" and total(html, "flagged") == "1"
    # Names are fine on this page; the row carries the exact cost of its conversation.
    assert "Ada Example" in html
    assert f'data-conversation-id="{seeded.c2}"' in html and 'data-cost="0.50000001"' in html
    assert f'href="/supervisor/conversations/{seeded.c1}"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2026-03-02", ["c3", "c2"]),
        ("to=2026-03-01", ["c1"]),
        ("from=2026-03-02&to=2026-03-03", ["c2"]),
        ("agent=agent1", ["c3", "c1"]),
        ("customer=CUS-2", ["c3", "c2"]),
        ("degraded=yes", ["c1"]),
        ("degraded=no", ["c3", "c2"]),
        ("flagged=yes", ["c2"]),
        ("flagged=no", ["c3", "c1"]),
        ("feedback=up", ["c1"]),
        ("feedback=down", ["c2"]),
        ("feedback=any", ["c2", "c1"]),
        ("feedback=none", ["c3"]),
        ("min_cost=0.0001", ["c2", "c1"]),
        ("min_cost=0.00000002", ["c3", "c2", "c1"]),
        ("min_cost=0.00000003", ["c2", "c1"]),
        ("agent=agent1&customer=CUS-2", ["c3"]),
        ("agent=nobody", []),
    ],
)
def test_each_filter_narrows(seeded: Seeded, query: str, expected: list[str]) -> None:
    response = client(seeded, "sup").get(f"/supervisor?{query}")
    assert response.status_code == 200
    ids = {"c1": seeded.c1, "c2": seeded.c2, "c3": seeded.c3}
    assert listed(response.text) == [ids[name] for name in expected]
    assert total(response.text, "conversations") == str(len(expected))


def test_totals_follow_the_filters(seeded: Seeded) -> None:
    html = client(seeded, "sup").get("/supervisor?customer=CUS-2").text
    assert Decimal(total(html, "cost_usd")) == Decimal("0.50000003")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "'from' must be a date"),
        ("degraded=maybe", "'degraded' must be yes or no"),
        ("feedback=meh", "'feedback' must be one of"),
        ("min_cost=lots", "'min_cost' must be an amount"),
        ("min_cost=-1", "'min_cost' must be zero or more"),
        ("page=0", "'page' must be a whole number"),
        ("from=2026-03-05&to=2026-03-01", "'from' must not be after 'to'"),
    ],
)
def test_bad_filters_get_a_clear_400(seeded: Seeded, query: str, message: str) -> None:
    response = client(seeded, "sup").get(f"/supervisor?{query}")
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert client(seeded, "sup").get(f"/supervisor/export.csv?{query}").status_code == 400


def test_paging_splits_the_list(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.supervisor import queries

    original = queries.list_conversations
    monkeypatch.setattr(
        "app.supervisor.routes.list_conversations",
        lambda sessions, filters: original(sessions, filters, page_size=2),
    )
    signed_in = client(seeded, "sup")
    first, second = signed_in.get("/supervisor"), signed_in.get("/supervisor?page=2")
    assert listed(first.text) == [seeded.c3, seeded.c2] and "page=2" in first.text
    assert listed(second.text) == [seeded.c1]
    assert total(second.text, "conversations") == "3"  # totals cover every page


def test_the_list_view_is_audited_with_its_filters(seeded: Seeded) -> None:
    before = len(audit_actions(seeded, "adm"))
    client(seeded, "adm").get("/supervisor?customer=CUS-2&degraded=no")
    entries = audit_actions(seeded, "adm")[before:]
    assert [e.action for e in entries] == ["supervisor.list"]
    assert entries[0].detail["customer"] == "CUS-2" and entries[0].detail["degraded"] == "no"
    assert entries[0].detail["shown"] == 2


def test_csv_export_has_a_header_and_one_row_per_filtered_conversation(seeded: Seeded) -> None:
    signed_in = client(seeded, "sup")
    page = signed_in.get("/supervisor?customer=CUS-2").text
    link = re.search(r'id="export-csv" href="([^"]+)"', page)
    assert link and link.group(1) == "/supervisor/export.csv?customer=CUS-2"
    response = signed_in.get(link.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["conversation_id"]) for r in rows] == [seeded.c3, seeded.c2]
    assert [Decimal(r["cost_usd"]) for r in rows] == [Decimal("0.00000002"), Decimal("0.50000001")]
    assert rows[1]["flagged_answers"] == "1" and rows[1]["feedback_down"] == "1"
    # A name that starts like a formula stays text in a spreadsheet.
    assert rows[0]["customer_name"] == "'=Bo Sample"
    exports = [e for e in audit_actions(seeded, "sup") if e.action == "supervisor.export"]
    assert exports and exports[-1].detail == {"customer": "CUS-2", "rows": 2}


def test_csv_without_filters_lists_every_conversation(seeded: Seeded) -> None:
    text = client(seeded, "sup").get("/supervisor/export.csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "conversation_id" and len(rows) == 4


def test_charts_have_one_bar_and_point_per_day_of_the_range(seeded: Seeded) -> None:
    html = client(seeded, "sup").get("/supervisor").text
    charts = re.search(r'<section id="charts">(.*?)</section>', html, re.S)
    assert charts is not None
    svgs = re.findall(r"<svg .*?</svg>", charts.group(1), re.S)
    assert len(svgs) == 3
    days = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]  # the 3rd had nothing
    spend, tokens, degraded = svgs
    assert re.findall(r'class="bar" data-day="([\d-]+)"', spend) == days
    assert re.findall(r'class="bar" data-day="([\d-]+)"', tokens) == days
    assert re.findall(r'class="point" data-day="([\d-]+)"', degraded) == days
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', spend)]
    assert heights[1] == max(heights) and heights[2] == 0.0  # day 2 spent 0.5
    assert "2026-03-01: 50%" in degraded  # one of the two answers of day 1 was degraded


def test_charts_follow_a_date_filter(seeded: Seeded) -> None:
    html = client(seeded, "sup").get("/supervisor?from=2026-03-02&to=2026-03-02").text
    assert re.findall(r'class="bar" data-day="([\d-]+)"', html)[:1] == ["2026-03-02"]
    assert len(re.findall(r'class="point" data-day', html)) == 1

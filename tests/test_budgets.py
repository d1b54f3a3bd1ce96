"""Budgets: reserve, settle, release; one tier down before refusing; 50 turns at once hold."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from app.budget_counters import CounterKey, InProcessCounters, RedisCounters, SpendCounters
from app.budgets import BudgetBook, BudgetConfig, BudgetRefusal, Reservation
from tests.redis_fixtures import REDIS_URL

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CALL = Decimal("0.10")


def config(conversation: str = "1.00") -> BudgetConfig:
    return BudgetConfig(
        user_day_usd=Decimal("5.00"),
        team_day_usd=Decimal("50.00"),
        conversation_usd=Decimal(conversation),
        low_share=Decimal("0.2"),
        team_by_role={"customer": "customers"},
    )


def reserve(book: BudgetBook, estimate: Decimal = CALL, conversation: int = 7) -> Reservation:
    return book.reserve(estimate, user_id=42, role="agent", conversation_id=conversation)


def test_reservations_go_low_then_are_refused_with_a_message_and_an_event() -> None:
    events: list[BudgetRefusal] = []
    book = BudgetBook(InProcessCounters(), config(), on_refusal=events.append, now=lambda: NOON)
    outcomes = [reserve(book).outcome for _ in range(11)]
    # $1 per conversation: 8 calls leave >= 20%; the 9th and 10th leave less; the 11th does not fit.
    assert outcomes == ["granted"] * 8 + ["low", "low", "refused"]
    refused = reserve(book)
    assert not refused.granted and refused.refused_scope == "conversation"
    assert "new conversation" in refused.message
    assert events[-1].scope == "conversation"
    assert events[-1].spent_usd == Decimal("1.00") and events[-1].limit_usd == Decimal("1.00")
    # Another conversation of the same user still has its own budget.
    assert reserve(book, conversation=8).outcome == "granted"


def test_settle_refunds_the_difference_and_release_gives_all_back() -> None:
    book = BudgetBook(InProcessCounters(), config(), now=lambda: NOON)
    first = reserve(book, Decimal("0.50"))
    book.settle(first, Decimal("0.012345"))
    book.settle(first, Decimal("9"))  # a second settle changes nothing
    spent = book.spent(user_id=42, role="agent", conversation_id=7)
    assert spent == {
        "user": Decimal("0.012345"),
        "team": Decimal("0.012345"),
        "conversation": Decimal("0.012345"),
    }
    second = reserve(book, Decimal("0.30"))
    book.release(second)
    assert book.spent(user_id=42, role="agent", conversation_id=7)["user"] == Decimal("0.012345")


def test_a_cheaper_estimate_that_fits_routes_down_instead_of_refusing() -> None:
    book = BudgetBook(InProcessCounters(), config(), now=lambda: NOON)
    reserve(book, Decimal("0.95"))
    late = book.reserve(
        Decimal("0.10"), user_id=42, role="agent", conversation_id=7, cheaper_usd=Decimal("0.01")
    )
    assert late.outcome == "low" and late.amount_micros == 10_000


def test_daily_scopes_start_again_the_next_day_and_teams_follow_roles() -> None:
    today = [NOON]
    book = BudgetBook(InProcessCounters(), config(conversation="100"), now=lambda: today[0])
    for _ in range(50):
        assert reserve(book).granted
    assert reserve(book).refused_scope == "user"
    today[0] = datetime(2026, 11, 26, 0, 0, 1, tzinfo=UTC)
    assert reserve(book).outcome == "granted"
    spent = book.spent(user_id=None, role="customer", conversation_id=None)
    assert spent == {"team": Decimal(0)}  # customers count against their own team


def concurrent_reservations(books: list[BudgetBook], turns: int) -> list[Reservation]:
    start = threading.Barrier(turns)

    def turn(index: int) -> Reservation:
        start.wait()
        return reserve(books[index % len(books)])

    with ThreadPoolExecutor(max_workers=turns) as pool:
        return list(pool.map(turn, range(turns)))


def assert_budget_held(results: list[Reservation], counters: SpendCounters) -> None:
    granted = [r for r in results if r.granted]
    assert len(granted) == 10  # a $1 conversation budget holds ten $0.10 calls
    assert sum(r.outcome == "granted" for r in results) <= 10
    assert all(r.message for r in results if not r.granted)
    assert counters.value("budget:conversation:7") == 1_000_000


def test_fifty_turns_at_once_in_process_never_overspend() -> None:
    counters = InProcessCounters()
    book = BudgetBook(counters, config(), now=lambda: NOON)
    assert_budget_held(concurrent_reservations([book], 50), counters)


def test_fifty_turns_at_once_on_redis_across_processes_never_overspend(
    redis_client: redis.Redis, namespace: str
) -> None:
    # Two clients with their own connection pools stand for two app processes.
    other = redis.Redis.from_url(REDIS_URL)
    try:
        books = [
            BudgetBook(RedisCounters(client, namespace), config(), now=lambda: NOON)
            for client in (redis_client, other)
        ]
        results = concurrent_reservations(books, 50)
    finally:
        other.close()
    assert_budget_held(results, RedisCounters(redis_client, namespace))


def test_redis_daily_keys_expire_after_midnight_and_settle_never_revives_them(
    redis_client: redis.Redis, namespace: str
) -> None:
    counters = RedisCounters(redis_client, namespace)
    book = BudgetBook(counters, config(), now=lambda: NOON)
    reservation = reserve(book)
    ttl = redis_client.ttl(f"{namespace}budget:user:42:2026-11-25")
    assert 12 * 3600 <= ttl <= 13 * 3600 + 1  # noon to midnight, plus an hour of grace
    redis_client.delete(f"{namespace}budget:user:42:2026-11-25")
    book.settle(reservation, Decimal("0.02"))
    assert redis_client.exists(f"{namespace}budget:user:42:2026-11-25") == 0
    assert counters.value("budget:conversation:7") == 20_000


def test_the_shipped_budgets_file_loads_and_bad_values_are_named(tmp_path: Path) -> None:
    shipped = BudgetConfig.load()
    assert shipped.user_day_usd == Decimal("5.00") and shipped.team_of("customer") == "customers"
    assert shipped.team_of("nobody") == "support"
    bad = tmp_path / "budgets.yaml"
    bad.write_text("limits_usd:\n  user_day: '-1'\n")
    with pytest.raises(ValueError, match="user_day_usd"):
        BudgetConfig.load(bad)


def test_in_process_counters_drop_past_days() -> None:
    counters = InProcessCounters(sweep_every=2)
    counters.reserve([CounterKey("budget:user:1:2026-11-24", 10, 0)], 1)  # already expired
    counters.reserve([CounterKey("budget:user:1:2026-11-25", 10, None)], 1)  # sweeps
    assert len(counters) == 1
    assert counters.value("budget:user:1:2026-11-25") == 1

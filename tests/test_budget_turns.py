"""50 streamed turns at once on a budget for 10: reserve, call, ledger, settle, as a turn will.

The provider is scripted at the network edge; the trace, the ledger, the price table, SQLite and
the budget book are the real ones, wired the way the turn orchestrator is meant to wire them.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from app.budget_counters import InProcessCounters
from app.budgets import BudgetBook, BudgetConfig, Reservation
from app.usage_report import usage_report
from providers.base import Message, Usage
from providers.instrumented import Instrumented
from providers.trace import tracing
from tests.fakes.scripted_provider import Answer, ScriptedProvider
from tests.ledger_rows import PRICES, call, ledger_db

TURNS = 50
FULL_ESTIMATE = Decimal("0.01")  # gpt-4.1, 2000 in + 500 out, costs $0.008: the estimate is above
CHEAP_ESTIMATE = Decimal("0.002")  # gpt-4.1-mini, the same usage, costs $0.0016
USAGE = Usage(2000, 500)


def provider(model: str) -> Instrumented:
    script = [Answer(("Your ", "parcel ", "ships today."), USAGE, delays=(0.001,))] * TURNS
    return Instrumented(ScriptedProvider(model, script), entry=model, provider="openai")


async def test_fifty_turns_at_once_stay_within_budget_plus_one_estimate(tmp_path: Path) -> None:
    db = ledger_db(tmp_path)
    conversation = db.conversations[0]
    config = BudgetConfig(conversation_usd=Decimal("0.10"), user_day_usd=Decimal(5))
    book = BudgetBook(InProcessCounters(), config)
    full, cheap = provider("gpt-4.1"), provider("gpt-4.1-mini")

    async def turn(number: int) -> Reservation:
        reservation = book.reserve(
            FULL_ESTIMATE,
            user_id=1,
            role="agent",
            conversation_id=conversation,
            cheaper_usd=CHEAP_ESTIMATE,
        )
        if not reservation.granted:
            return reservation
        chosen, model = (cheap, "gpt-4.1-mini") if reservation.budget_low else (full, "gpt-4.1")
        with tracing() as trace:
            stream = chosen.stream(
                [Message("user", "Where is my parcel?")], model=model, max_tokens=500, temperature=0
            )
            async for _chunk in stream:
                pass
        rows = db.ledger.record(call(conversation, number), trace.attempts, [480])
        book.settle(reservation, sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0)))
        return reservation

    results = await asyncio.gather(*(turn(n) for n in range(TURNS)))
    served_full = sum(r.outcome == "granted" for r in results)
    served_low = sum(r.outcome == "low" for r in results)
    refused = [r for r in results if not r.granted]
    assert served_full <= 10
    assert served_full + served_low == 10 and len(refused) == TURNS - 10
    assert all("conversation" in r.message for r in refused)
    report = usage_report(db.database.sessions, "model")
    assert report.total.cost_usd <= config.conversation_usd + FULL_ESTIMATE
    # The ledger holds exactly what the (streamed) provider reported, priced from the table.
    by_model = {row.key: row for row in report.rows}
    assert by_model["gpt-4.1"].calls == served_full
    assert by_model["gpt-4.1"].input_tokens == served_full * USAGE.input_tokens
    price = PRICES.cost("gpt-4.1", USAGE)
    assert price is not None and by_model["gpt-4.1"].cost_usd == served_full * price
    assert by_model.get("gpt-4.1-mini") is None or by_model["gpt-4.1-mini"].calls == served_low
    # Settling refunded the over-estimates: what the book holds is what the ledger says.
    spent = book.spent(user_id=1, role="agent", conversation_id=conversation)
    assert spent["conversation"] == report.total.cost_usd

"""The agent's customer panel shows profile, recent orders, open tickets and rule outcomes."""

from __future__ import annotations

from typing import Any

from app.ui.customer_panel import RECENT_ORDERS, panel_markdown

DEMO_CUSTOMER = "CUS-10001"


def test_panel_lists_the_customers_own_records_and_rules(runtime: Any) -> None:
    loaded = runtime.assistant.customer_record(DEMO_CUSTOMER)
    text = panel_markdown(loaded)
    customer = loaded.history.customer
    assert f"### {customer.name}" in text and customer.email in text and DEMO_CUSTOMER in text
    shown = [f.order.id for f in loaded.history.orders[:RECENT_ORDERS]]
    assert shown and all(f"`{order_id}`" in text for order_id in shown)
    hidden = [f.order.id for f in loaded.history.orders[RECENT_ORDERS:]]
    assert not any(f"`{order_id}`" in text for order_id in hidden)
    assert all(f"`{t.id}`" in text for t in loaded.history.open_tickets)
    assert f"rules {loaded.outcomes.version}" in text
    if loaded.outcomes.sla_hours is not None:
        assert f"{loaded.outcomes.sla_hours} h" in text
    for outcome in loaded.outcomes.orders:
        if outcome.order_id in shown and outcome.refund_eligible is not None:
            expected = "eligible" if outcome.refund_eligible else "not eligible"
            row = next(line for line in text.splitlines() if f"`{outcome.order_id}`" in line)
            assert row.rstrip(" |").endswith(expected)


def test_panel_never_shows_another_customers_orders(runtime: Any) -> None:
    mine = runtime.assistant.customer_record(DEMO_CUSTOMER)
    other = runtime.assistant.customer_record("CUS-10002")
    text = panel_markdown(mine)
    assert not any(f"`{f.order.id}`" in text for f in other.history.orders)

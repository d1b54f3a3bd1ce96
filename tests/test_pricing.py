"""Costs come from the versioned price table, exactly, and unknown models never crash a turn."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from providers import PriceTable, Usage


def test_shipped_table_prices_gpt_4o_mini_exactly() -> None:
    table = PriceTable.load()
    cost = table.cost("gpt-4o-mini", Usage(input_tokens=1_000, output_tokens=500))
    # 1000 * 0.15 / 1e6 + 500 * 0.60 / 1e6
    assert cost == Decimal("0.00045")
    assert isinstance(cost, Decimal)


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        ("gpt-4o", Usage(2_000_000, 1_000_000), Decimal("15.00")),
        ("gpt-4.1-mini", Usage(1, 1), Decimal("0.000002")),
        ("gpt-4.1", Usage(0, 250_000), Decimal("2")),
        ("gpt-5-mini", Usage(400_000, 100_000), Decimal("0.3")),
        ("local-responder", Usage(5_000, 5_000), Decimal("0")),
    ],
)
def test_cost_per_model(model: str, usage: Usage, expected: Decimal) -> None:
    assert PriceTable.load().cost(model, usage) == expected


def test_dated_snapshot_names_use_their_model_price() -> None:
    table = PriceTable.load()
    usage = Usage(1_000_000, 0)
    assert table.cost("gpt-4o-mini-2024-07-18", usage) == table.cost("gpt-4o-mini", usage)


def test_unknown_model_costs_none_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    table = PriceTable.load()
    with caplog.at_level(logging.WARNING, logger="providers.pricing"):
        assert table.cost("mystery-model", Usage(10, 10)) is None
        assert table.cost("mystery-model", Usage(10, 10)) is None
    warnings = [r for r in caplog.records if "mystery-model" in r.getMessage()]
    assert len(warnings) == 1


def test_table_is_versioned_and_loadable_from_a_file(tmp_path: Path) -> None:
    assert PriceTable.load().version
    path = tmp_path / "prices.yaml"
    path.write_text(
        'version: "test-1"\nmodels:\n  tiny:\n    input: "1.10"\n    output: "3"\n', "utf-8"
    )
    table = PriceTable.load(path)
    assert table.version == "test-1"
    assert table.cost("tiny", Usage(1_000_000, 1_000_000)) == Decimal("4.10")


def test_a_broken_price_entry_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text('models:\n  tiny:\n    input: "cheap"\n    output: "1"\n', "utf-8")
    with pytest.raises(ValueError, match="tiny"):
        PriceTable.load(path)

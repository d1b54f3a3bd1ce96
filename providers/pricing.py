"""What a call cost, from a versioned price table kept as data (``prices.yaml``).

Prices are ``Decimal`` from end to end. A model missing from the table costs ``None`` (unknown,
not zero) and logs one warning per model, so a new model never breaks a turn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from providers.base import Usage

log = logging.getLogger(__name__)

_PER_TOKENS = Decimal(1_000_000)
# Providers answer with dated snapshot names (gpt-4o-mini-2024-07-18) for the models we price.
_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million input and output tokens of one model."""

    input_per_million: Decimal
    output_per_million: Decimal


class PricedEntry(Protocol):
    """A configured model entry that may carry its own prices."""

    @property
    def model(self) -> str:
        """The provider's model id."""
        ...

    @property
    def price_input_per_million(self) -> Decimal | None:
        """USD per million input tokens, if the entry sets it."""
        ...

    @property
    def price_output_per_million(self) -> Decimal | None:
        """USD per million output tokens, if the entry sets it."""
        ...


@dataclass(slots=True)
class PriceTable:
    """A versioned table of model prices."""

    version: str
    prices: dict[str, ModelPrice]
    currency: str = "USD"
    _warned: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def load(cls, path: Path | str | None = None) -> PriceTable:
        """Read a price table; by default the ``prices.yaml`` shipped with this package."""
        if path is None:
            raw = resources.files("providers").joinpath("prices.yaml").read_text("utf-8")
        else:
            raw = Path(path).read_text("utf-8")
        return cls.from_mapping(yaml.safe_load(raw) or {})

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PriceTable:
        """Build a table from parsed YAML (``version``, ``currency``, ``models``)."""
        prices: dict[str, ModelPrice] = {}
        for model, entry in (data.get("models") or {}).items():
            prices[str(model)] = ModelPrice(
                _decimal(entry, "input", model), _decimal(entry, "output", model)
            )
        return cls(
            version=str(data.get("version", "unversioned")),
            prices=prices,
            currency=str(data.get("currency", "USD")),
        )

    def with_entries(self, entries: Iterable[PricedEntry]) -> PriceTable:
        """This table with the prices that configured model entries carry laid over it."""
        prices = dict(self.prices)
        for entry in entries:
            if entry.price_input_per_million is not None:
                assert entry.price_output_per_million is not None
                prices[entry.model] = ModelPrice(
                    entry.price_input_per_million, entry.price_output_per_million
                )
        return PriceTable(self.version, prices, self.currency)

    def price(self, model: str) -> ModelPrice | None:
        """The model's price, also for a dated snapshot of a priced model; ``None`` if unknown."""
        return self.prices.get(model) or self.prices.get(_SNAPSHOT_SUFFIX.sub("", model))

    def cost(self, model: str, usage: Usage) -> Decimal | None:
        """The call's cost in the table's currency, or ``None`` (and one warning) if unpriced."""
        price = self.price(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("no price for model %r in price table %s", model, self.version)
            return None
        return (
            Decimal(usage.input_tokens) * price.input_per_million
            + Decimal(usage.output_tokens) * price.output_per_million
        ) / _PER_TOKENS


def _decimal(entry: Any, key: str, model: object) -> Decimal:
    try:
        value = Decimal(str(entry[key]))
    except (KeyError, TypeError, InvalidOperation) as err:
        raise ValueError(f"price table: bad {key!r} price for model {model!r}") from err
    if value < 0:
        raise ValueError(f"price table: negative {key!r} price for model {model!r}")
    return value

"""Routing: which models answer a task, in which order, and why.

Each task has a tier in the configuration. A message judged complex or high-value goes up one
tier; a budget that is nearly spent sends it down one. The chain is the chosen tier's entries,
then the other tiers' entries nearest first, then the local responder: the reason is kept so the
call ledger can say why a model was asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.config import TIERS, ModelEntry, ProviderConfig, Task, Tier


@dataclass(frozen=True, slots=True)
class Route:
    """The tier chosen for one call, the entries to try in order, and the reason."""

    task: Task
    tier: Tier
    entries: tuple[ModelEntry, ...]
    reason: str


def _shift(tier: Tier, steps: int) -> Tier:
    index = min(max(TIERS.index(tier) + steps, 0), len(TIERS) - 1)
    return TIERS[index]


class Router:
    """Maps a task and the facts of one message to a route."""

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config

    def route(
        self,
        task: Task,
        *,
        message: str = "",
        customer_tier: str | None = None,
        budget_low: bool = False,
    ) -> Route:
        """The route for one call; ``reason`` says which rule chose the tier."""
        base = self._config.tasks[task]
        tier, reason = base, f"task {task} -> {base}"
        upgrade = self._upgrade_reason(message, customer_tier)
        if budget_low:
            tier, reason = _shift(base, -1), f"{reason}; budget nearly spent -> {_shift(base, -1)}"
        elif upgrade:
            tier, reason = _shift(base, +1), f"{reason}; {upgrade} -> {_shift(base, +1)}"
        return Route(task, tier, self._chain(tier), reason)

    def _upgrade_reason(self, message: str, customer_tier: str | None) -> str | None:
        rules = self._config.routing
        if len(message) >= rules.upgrade_min_chars:
            return f"long message ({len(message)} chars)"
        lowered = message.casefold()
        for keyword in rules.upgrade_keywords:
            if keyword.casefold() in lowered:
                return f"high-value keyword {keyword!r}"
        if customer_tier and customer_tier in rules.upgrade_customer_tiers:
            return f"customer tier {customer_tier}"
        return None

    def _chain(self, tier: Tier) -> tuple[ModelEntry, ...]:
        models = [m for m in self._config.enabled_models() if m.provider != "local"]
        target = TIERS.index(tier)
        # Same tier first, then nearest tiers (a cheaper one before a dearer one at equal distance).
        ordered = sorted(
            models,
            key=lambda m: (abs(TIERS.index(m.tier) - target), TIERS.index(m.tier) > target),
        )
        local = [m for m in self._config.enabled_models() if m.provider == "local"]
        return (*ordered, *local)

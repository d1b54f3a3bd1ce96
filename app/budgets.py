"""Spend budgets per user and team per day, and per conversation, that hold under concurrency.

Before a provider call the caller reserves the estimated cost in every scope the call belongs to;
afterwards it settles with the actual cost (the difference is refunded or charged) or releases the
reservation when the call failed. A reservation that leaves less than ``low_share`` of a limit is
``low``: the caller routes one tier down (``Router.route(..., budget_low=True)``). One that does
not fit is ``refused`` with a message fit for the user, and the refusal is reported to a callback
for supervisors. Money is ``Decimal``; counters hold integer micro-dollars.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from app.budget_counters import CounterKey, SpendCounters
from app.errors import DeskpilotError

log = logging.getLogger(__name__)

Scope = Literal["user", "team", "conversation"]
Outcome = Literal["granted", "low", "refused"]
MICROS = Decimal(1_000_000)
# A day's counter outlives midnight by this much, so a late settle still finds it.
_DAY_GRACE_S = 3600
_CONVERSATION_TTL_S = 90 * 24 * 3600

_REFUSALS: dict[Scope, str] = {
    "user": "Your daily AI budget is spent, so this question was not sent to a model. "
    "It resets at midnight UTC; a supervisor has been notified.",
    "team": "Your team's daily AI budget is spent, so this question was not sent to a model. "
    "It resets at midnight UTC; a supervisor has been notified.",
    "conversation": "This conversation has used its AI budget, so this question was not sent "
    "to a model. Please start a new conversation; a supervisor has been notified.",
}


def to_micros(usd: Decimal) -> int:
    """Whole micro-dollars, rounded up so an estimate never under-reserves."""
    return int((usd * MICROS).to_integral_value(rounding=ROUND_CEILING))


def from_micros(micros: int) -> Decimal:
    """Micro-dollars back to dollars."""
    return Decimal(micros) / MICROS


class BudgetRefused(DeskpilotError):
    """A call did not fit a budget; the message is written for the user who asked."""

    def __init__(self, message: str, scope: Scope) -> None:
        super().__init__(message)
        self.scope: Scope = scope


@dataclass(frozen=True, slots=True)
class BudgetConfig:
    """Limits per scope, the low-budget share and the team of each role."""

    user_day_usd: Decimal = Decimal("5.00")
    team_day_usd: Decimal = Decimal("50.00")
    conversation_usd: Decimal = Decimal("1.00")
    low_share: Decimal = Decimal("0.2")
    default_team: str = "support"
    team_by_role: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> BudgetConfig:
        """Read ``budgets.yaml`` (by default the one shipped in ``app``)."""
        if path is None:
            text = resources.files("app").joinpath("budgets.yaml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        return cls.from_mapping(yaml.safe_load(text) or {})

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> BudgetConfig:
        """Build from parsed YAML; a bad value raises ValueError naming it."""
        limits = data.get("limits_usd") or {}
        teams = data.get("teams") or {}
        try:
            config = cls(
                user_day_usd=Decimal(str(limits.get("user_day", "5.00"))),
                team_day_usd=Decimal(str(limits.get("team_day", "50.00"))),
                conversation_usd=Decimal(str(limits.get("conversation", "1.00"))),
                low_share=Decimal(str(data.get("low_share", "0.2"))),
                default_team=str(teams.get("default", "support")),
                team_by_role={str(k): str(v) for k, v in (teams.get("by_role") or {}).items()},
            )
        except ArithmeticError as exc:
            raise ValueError(f"budgets: not a number: {exc}") from None
        for name in ("user_day_usd", "team_day_usd", "conversation_usd"):
            if getattr(config, name) <= 0:
                raise ValueError(f"budgets: {name} must be positive")
        if not Decimal(0) <= config.low_share < 1:
            raise ValueError("budgets: low_share must be in [0, 1)")
        return config

    def team_of(self, role: str | None) -> str:
        """The team a role's spend counts against."""
        return self.team_by_role.get(role or "", self.default_team)


@dataclass(frozen=True, slots=True)
class BudgetRefusal:
    """What supervisors are told when a call is refused (ids only, never text)."""

    scope: Scope
    key: str
    limit_usd: Decimal
    spent_usd: Decimal
    estimate_usd: Decimal


@dataclass(slots=True)
class Reservation:
    """The result of one reservation; settle or release it exactly once when granted."""

    outcome: Outcome
    amount_micros: int
    keys: tuple[CounterKey, ...]
    scopes: tuple[Scope, ...]
    message: str = ""  # for the user, when refused
    refused_scope: Scope | None = None
    open: bool = True

    @property
    def granted(self) -> bool:
        """True when the call may go ahead (at full tier or one down)."""
        return self.outcome != "refused"

    @property
    def budget_low(self) -> bool:
        """True when the caller should route one tier down."""
        return self.outcome == "low"


class BudgetBook:
    """Reserves, settles and releases spend across the scopes of a call."""

    def __init__(
        self,
        counters: SpendCounters,
        config: BudgetConfig,
        *,
        on_refusal: Callable[[BudgetRefusal], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._counters = counters
        self._config = config
        self._on_refusal = on_refusal
        self._now = now or (lambda: datetime.now(UTC))

    def _keys(
        self, user_id: int | None, role: str | None, conversation_id: int | None
    ) -> list[tuple[Scope, CounterKey]]:
        now = self._now().astimezone(UTC)
        day = now.date().isoformat()
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        day_ttl = int((midnight - now).total_seconds()) + _DAY_GRACE_S
        cfg = self._config
        keys: list[tuple[Scope, CounterKey]] = []
        if user_id is not None:
            user_key = f"budget:user:{user_id}:{day}"
            keys.append(("user", CounterKey(user_key, to_micros(cfg.user_day_usd), day_ttl)))
        team_key = f"budget:team:{cfg.team_of(role)}:{day}"
        keys.append(("team", CounterKey(team_key, to_micros(cfg.team_day_usd), day_ttl)))
        if conversation_id is not None:
            conversation_key = f"budget:conversation:{conversation_id}"
            limit = to_micros(cfg.conversation_usd)
            keys.append(("conversation", CounterKey(conversation_key, limit, _CONVERSATION_TTL_S)))
        return keys

    def reserve(
        self,
        estimate_usd: Decimal,
        *,
        user_id: int | None,
        role: str | None,
        conversation_id: int | None,
        cheaper_usd: Decimal | None = None,
    ) -> Reservation:
        """Reserve the estimate in every scope; when it does not fit, try ``cheaper_usd``.

        A reservation that fits only at the cheaper estimate, or leaves less than ``low_share``
        of a limit, is ``low``.
        """
        scoped = self._keys(user_id, role, conversation_id)
        scopes = tuple(scope for scope, _ in scoped)
        keys = tuple(key for _, key in scoped)
        amount = to_micros(estimate_usd)
        granted, values = self._counters.reserve(keys, amount)
        low = False
        if not granted and cheaper_usd is not None and cheaper_usd < estimate_usd:
            amount, low = to_micros(cheaper_usd), True
            granted, values = self._counters.reserve(keys, amount)
        if not granted:
            return self._refuse(scopes, keys, values, amount)
        share = self._config.low_share
        low = low or any(
            Decimal(k.limit - value) < share * k.limit
            for k, value in zip(keys, values, strict=True)
        )
        return Reservation("low" if low else "granted", amount, keys, scopes)

    def _refuse(
        self,
        scopes: tuple[Scope, ...],
        keys: tuple[CounterKey, ...],
        values: list[int],
        amount: int,
    ) -> Reservation:
        index = next(
            (i for i, value in enumerate(values) if value + amount > keys[i].limit),
            len(values) - 1,
        )
        scope, key = scopes[index], keys[index]
        refusal = BudgetRefusal(
            scope, key.key, from_micros(key.limit), from_micros(values[index]), from_micros(amount)
        )
        log.warning(
            "budget refused: scope %s, spent %s of %s USD, estimate %s USD",
            scope,
            refusal.spent_usd,
            refusal.limit_usd,
            refusal.estimate_usd,
        )
        if self._on_refusal is not None:
            self._on_refusal(refusal)
        return Reservation("refused", 0, keys, scopes, _REFUSALS[scope], scope, open=False)

    def settle(self, reservation: Reservation, actual_usd: Decimal | None) -> None:
        """Replace the reserved estimate by the actual cost (None: unknown, keep the estimate)."""
        if not reservation.open:
            return
        reservation.open = False
        if actual_usd is None:
            return
        self._counters.adjust(reservation.keys, to_micros(actual_usd) - reservation.amount_micros)

    def release(self, reservation: Reservation) -> None:
        """Give the whole reservation back (the call was never made or cost nothing)."""
        if not reservation.open:
            return
        reservation.open = False
        self._counters.adjust(reservation.keys, -reservation.amount_micros)

    def spent(
        self, *, user_id: int | None, role: str | None, conversation_id: int | None
    ) -> dict[Scope, Decimal]:
        """What each scope of such a call has spent (reserved included), for display."""
        return {
            scope: from_micros(self._counters.value(key.key))
            for scope, key in self._keys(user_id, role, conversation_id)
        }


def build_counters(redis_url: str | None) -> SpendCounters:
    """In-process counters, or Redis ones when a Redis URL is configured (scale mode)."""
    from app.budget_counters import InProcessCounters, RedisCounters

    if not redis_url:
        return InProcessCounters()
    import redis

    return RedisCounters(redis.Redis.from_url(redis_url))

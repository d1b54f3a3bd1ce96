"""Evaluate the rules over a customer's facts: conditions as data in, outcomes as facts out.

Customer rules set the SLA, escalation, tone and promises to avoid; order rules decide refund
eligibility. For each outcome the first matching rule (in file order) wins, so a file reads top
to bottom like a decision table; escalation reasons and forbidden promises accumulate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from context.rules.facts import CustomerFacts
from context.rules.schema import All, Any_, Condition, Leaf, Not, Rule, RuleSet

Facts = dict[str, str | int | float]


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """Refund eligibility of one order and the rule that decided it."""

    order_id: str
    refund_eligible: bool | None
    reason: str
    rule: str | None


@dataclass(frozen=True, slots=True)
class RuleOutcomes:
    """Everything the rules concluded for one customer, with the rules version."""

    version: str
    sla_hours: int | None = None
    escalation_required: bool = False
    escalation_reasons: list[str] = field(default_factory=list)
    tone: str | None = None
    must_not_promise: list[str] = field(default_factory=list)
    orders: list[OrderOutcome] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)

    def order(self, order_id: str) -> OrderOutcome | None:
        """The outcome for one order, if it was in context."""
        return next((o for o in self.orders if o.order_id == order_id), None)


def holds(condition: Condition | None, facts: Facts) -> bool:
    """Whether ``condition`` is true for ``facts`` (a missing fact makes a leaf false)."""
    if condition is None:
        return True
    if isinstance(condition, All):
        return all(holds(c, facts) for c in condition.all)
    if isinstance(condition, Any_):
        return any(holds(c, facts) for c in condition.any)
    if isinstance(condition, Not):
        return not holds(condition.not_, facts)
    return _compare(condition, facts)


def _compare(leaf: Leaf, facts: Facts) -> bool:
    if leaf.fact not in facts:
        return False
    actual, expected = facts[leaf.fact], leaf.value
    if leaf.op == "in":
        return isinstance(expected, list) and actual in expected
    if leaf.op == "not_in":
        return isinstance(expected, list) and actual not in expected
    if leaf.op == "==":
        return actual == expected
    if leaf.op == "!=":
        return actual != expected
    if isinstance(actual, str) or isinstance(expected, (str, list, bool)):
        return False
    return {
        "<": actual < expected,
        "<=": actual <= expected,
        ">": actual > expected,
        ">=": actual >= expected,
    }[leaf.op]


def _order_outcome(rules: list[Rule], order_id: str, facts: Facts) -> tuple[OrderOutcome, str]:
    for rule in rules:
        if rule.then.refund_eligible is not None and holds(rule.when, facts):
            reason = rule.then.reason or rule.id
            return OrderOutcome(order_id, rule.then.refund_eligible, reason, rule.id), rule.id
    return OrderOutcome(order_id, None, "no refund rule matched", None), ""


def evaluate(rules: RuleSet, facts: CustomerFacts) -> RuleOutcomes:
    """Apply every rule to the customer and to each order in context."""
    customer_rules = [r for r in rules.rules if r.applies_to == "customer"]
    order_rules = [r for r in rules.rules if r.applies_to == "order"]
    sla: int | None = None
    tone: str | None = None
    escalate = False
    reasons: list[str] = []
    promises: list[str] = []
    matched: list[str] = []
    for rule in customer_rules:
        if not holds(rule.when, facts.values):
            continue
        matched.append(rule.id)
        outcome = rule.then
        if sla is None and outcome.sla_hours is not None:
            sla = outcome.sla_hours
        if tone is None and outcome.tone is not None:
            tone = outcome.tone
        if outcome.escalation_required:
            escalate = True
            reasons.append(outcome.reason or rule.id)
        promises += [p for p in outcome.must_not_promise if p not in promises]
    orders = []
    for row in facts.orders:
        merged = {**facts.values, **row.values}
        decided, rule_id = _order_outcome(order_rules, row.order_id, merged)
        orders.append(decided)
        if rule_id and rule_id not in matched:
            matched.append(rule_id)
        for rule in order_rules:
            # An order rule may require escalation too (a high-value order, say).
            if rule.then.escalation_required and holds(rule.when, merged):
                escalate = True
                reason = f"{row.order_id}: {rule.then.reason or rule.id}"
                reasons.append(reason)
                matched += [rule.id] if rule.id not in matched else []
    for forbidden in rules.forbidden_promises:
        if forbidden.text not in promises:
            promises.append(forbidden.text)
    return RuleOutcomes(
        version=rules.version,
        sla_hours=sla,
        escalation_required=escalate,
        escalation_reasons=reasons,
        tone=tone,
        must_not_promise=promises,
        orders=orders,
        matched=matched,
    )

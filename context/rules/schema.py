"""The rules file: pydantic models that validate it, with errors naming the file, rule and field.

A rule is data: ``when`` is a condition tree over named facts (``{fact, op, value}`` leaves
combined with ``all`` / ``any`` / ``not``), ``then`` the outcomes it sets. Nothing is evaluated
as Python; an unknown fact, operator or outcome is an error at start-up, not at answer time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

# The facts a condition may name, and the kind of value each holds.
CUSTOMER_FACTS: dict[str, type] = {
    "tier": str,
    "open_ticket_count": int,
    "past_refunds": int,
    "customer_age_days": int,
    "order_count": int,
}
ORDER_FACTS: dict[str, type] = {
    "order_status": str,
    "order_age_days": int,  # days since the order was placed
    "days_since_delivery": int,  # -1 while not delivered
    "amount": float,
}
ALL_FACTS: dict[str, type] = {**CUSTOMER_FACTS, **ORDER_FACTS}

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]


class RulesError(ValueError):
    """The rules file is invalid; the message says which file, rule and field, and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(_Strict):
    """One comparison of a fact with a value."""

    fact: str
    op: Op
    value: str | int | float | bool | list[str | int | float]

    @model_validator(mode="after")
    def _known_fact(self) -> Leaf:
        if self.fact not in ALL_FACTS:
            raise ValueError(f"unknown fact {self.fact!r} (known: {', '.join(sorted(ALL_FACTS))})")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.op in ("<", "<=", ">", ">=") and ALL_FACTS[self.fact] is str:
            raise ValueError(f"op {self.op!r} compares numbers; {self.fact!r} is text")
        return self


class All(_Strict):
    """True when every condition holds."""

    all: list[Condition] = Field(min_length=1)


class Any_(_Strict):
    """True when at least one condition holds."""

    any: list[Condition] = Field(min_length=1)


class Not(_Strict):
    """True when the condition does not hold."""

    not_: Condition = Field(alias="not")


def _branch(value: object) -> str | None:
    """Pick the condition kind by its key, so an error speaks of one kind, not four."""
    if isinstance(value, dict):
        for key in ("fact", "all", "any", "not"):
            if key in value:
                return key
        return None
    return type(value).__name__.lower().rstrip("_") if isinstance(value, BaseModel) else None


Condition = Annotated[
    Annotated[Leaf, Tag("fact")]
    | Annotated[All, Tag("all")]
    | Annotated[Any_, Tag("any")]
    | Annotated[Not, Tag("not")],
    Discriminator(
        _branch,
        custom_error_type="condition",
        custom_error_message="a condition needs one of: fact (with op, value), all, any, not",
    ),
]


class Outcome(_Strict):
    """What a matching rule sets; every field is optional."""

    refund_eligible: bool | None = None
    reason: str | None = None
    sla_hours: int | None = Field(default=None, gt=0)
    escalation_required: bool | None = None
    tone: str | None = None
    must_not_promise: list[str] = Field(default_factory=list)


class Rule(_Strict):
    """A named rule: where it applies, when it matches, what it sets."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    applies_to: Literal["customer", "order"]
    when: Condition | None = None  # None: always
    then: Outcome

    @model_validator(mode="after")
    def _scope_fits(self) -> Rule:
        if self.applies_to == "customer":
            order_facts = sorted(_facts_of(self.when) & set(ORDER_FACTS))
            if order_facts:
                raise ValueError(f"customer rules cannot use order facts: {', '.join(order_facts)}")
            if self.then.refund_eligible is not None:
                raise ValueError("refund_eligible is an order outcome; use applies_to: order")
        return self


class ForbiddenPromise(_Strict):
    """A promise the assistant must never make, and the patterns that recognise it in an answer."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    text: str
    patterns: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _patterns_compile(self) -> ForbiddenPromise:
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from None
        return self


class RuleSet(_Strict):
    """The executable part of the rules file (the rest are policy figures the articles quote)."""

    version: str
    rules: list[Rule] = Field(min_length=1)
    forbidden_promises: list[ForbiddenPromise] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(repeated)}")
        return self


All.model_rebuild()
Any_.model_rebuild()
Not.model_rebuild()
Rule.model_rebuild()


def _facts_of(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, Leaf):
        return {condition.fact}
    if isinstance(condition, All):
        return set().union(*(_facts_of(c) for c in condition.all))
    if isinstance(condition, Any_):
        return set().union(*(_facts_of(c) for c in condition.any))
    return _facts_of(condition.not_)


def _where(data: object, loc: tuple[int | str, ...]) -> str:
    """``rules[3] (refund-window-plus).when.all.0`` rather than a bare index path."""
    parts: list[str] = []
    node: object = data
    for index, key in enumerate(loc):
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
            label = f"[{key}]"
            if index == 1 and isinstance(node, dict) and "id" in node:
                label += f" ({node['id']})"
            parts.append(label)
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(f".{key}" if parts else str(key))
    return "".join(parts) or "(top)"


_BRANCH_TAGS = {"fact", "all", "any", "not"}


def _without_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the union tags pydantic puts where a condition is parsed (after when/not/index)."""
    kept: list[int | str] = []
    expect_tag = False
    for part in loc:
        if expect_tag and part in _BRANCH_TAGS:
            expect_tag = False
            continue
        expect_tag = part in ("when", "not") or (
            isinstance(part, int) and bool(kept) and kept[-1] in ("all", "any")
        )
        kept.append(part)
    return tuple(kept)


def parse_rules(data: object, source: str = "rules") -> RuleSet:
    """Validate parsed YAML; RulesError names the source, the rule and the field."""
    if not isinstance(data, dict):
        raise RulesError(f"{source}: expected a mapping at the top, got {type(data).__name__}")
    subset = {k: data[k] for k in ("version", "rules", "forbidden_promises") if k in data}
    if "version" in subset:
        subset["version"] = str(subset["version"])
    try:
        return RuleSet.model_validate(subset)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            # Union members repeat the same problem once per branch; keep the clearest.
            loc = _without_tags(tuple(err["loc"]))
            problems.append(f"{_where(subset, loc)}: {err['msg']}")
        unique = list(dict.fromkeys(problems))
        raise RulesError(f"{source}: " + "; ".join(unique)) from None


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rules file; every problem becomes a RulesError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML ({exc})") from None
    return parse_rules(data, str(path))

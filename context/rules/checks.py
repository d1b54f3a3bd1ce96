"""Check an answer against the rule outcomes, without a model: deterministic and explainable.

Three checks, sentence by sentence: a refund promised for an order the rules say is not
eligible (or with no eligible order at all), a response time shorter than the SLA, and a phrase
the rules forbid. A sentence that negates or conditions its promise ("cannot", "once we receive
it") does not count: those are the answers the rules want.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from context.rules.engine import RuleOutcomes
from context.rules.schema import RuleSet

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NEGATION = re.compile(
    r"\b(not|never|no|cannot|can't|won't|isn't|aren't|unable|unfortunately|only staff)\b", re.I
)
_CONDITIONAL = re.compile(r"\b(if|once|after|when|as soon as|until|unless|whether)\b", re.I)
_REFUND = re.compile(r"\brefund(ed|s)?\b", re.I)
_PROMISE = re.compile(
    r"\b(will|you'll|we'll|i'll|is being|has been|have been|approved|guarantee\w*|"
    r"on (its|the) way|(are|is) eligible|qualif(y|ies))\b",
    re.I,
)
_ORDER_ID = re.compile(r"\bORD-\d+\b")
_HOURS = re.compile(
    r"\b(?:within|in|under)\s+(\d{1,3})\s*(?:hours?|hrs?|h)\b|\b(\d{1,3})[- ]hours?\b", re.I
)
_RESPONSE = re.compile(r"\b(respon\w*|repl\w*|get back|hear from|contact you|answer)\b", re.I)


@dataclass(frozen=True, slots=True)
class RuleFlag:
    """An answer that contradicts a rule outcome: which check, which rule fact, the sentence."""

    check: str  # refund_ineligible | sla_shorter | forbidden_promise
    detail: str
    sentence: str


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _refund_flags(sentence: str, outcomes: RuleOutcomes) -> list[RuleFlag]:
    if not (_REFUND.search(sentence) and _PROMISE.search(sentence)):
        return []
    named = _ORDER_ID.findall(sentence)
    flags = []
    for order_id in named:
        outcome = outcomes.order(order_id)
        if outcome is not None and outcome.refund_eligible is False:
            detail = f"refund promised for {order_id}, which is not eligible: {outcome.reason}"
            flags.append(RuleFlag("refund_ineligible", detail, sentence))
    if not named and outcomes.orders and not any(o.refund_eligible for o in outcomes.orders):
        detail = "refund promised, but no order in context is eligible for one"
        flags.append(RuleFlag("refund_ineligible", detail, sentence))
    return flags


def _sla_flags(sentence: str, outcomes: RuleOutcomes) -> list[RuleFlag]:
    if outcomes.sla_hours is None or not _RESPONSE.search(sentence):
        return []
    for match in _HOURS.finditer(sentence):
        hours = int(match.group(1) or match.group(2))
        if hours < outcomes.sla_hours:
            detail = f"promises {hours} hours; the SLA for this customer is {outcomes.sla_hours}"
            return [RuleFlag("sla_shorter", detail, sentence)]
    return []


def check_answer(answer: str, outcomes: RuleOutcomes, rules: RuleSet) -> list[RuleFlag]:
    """Every contradiction between ``answer`` (restored text) and the outcomes, in text order."""
    flags: list[RuleFlag] = []
    patterns = [(f, [re.compile(p, re.I) for p in f.patterns]) for f in rules.forbidden_promises]
    for sentence in _sentences(answer):
        if _NEGATION.search(sentence) or _CONDITIONAL.search(sentence):
            continue
        flags += _refund_flags(sentence, outcomes)
        flags += _sla_flags(sentence, outcomes)
        for forbidden, compiled in patterns:
            if any(p.search(sentence) for p in compiled):
                flags.append(RuleFlag("forbidden_promise", forbidden.text, sentence))
    return flags

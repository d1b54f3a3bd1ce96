"""Check a finished answer against the turn's rule outcomes, and store what was found.

The check reads the restored answer (what the reader sees). The stored copy goes back to
placeholders: the flags sit next to pseudonymised messages, so they must not hold raw values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from context.assembly import PromptPlan
from context.rules import RuleFlag, RuleSet, check_answer
from guardrails import PseudonymVault


def flag_answer(answer: str, plan: PromptPlan, rules: RuleSet) -> list[RuleFlag]:
    """Contradictions between the answer and the outcomes the prompt gave as facts."""
    return check_answer(answer, plan.outcomes, rules)


def pseudonymise_known(text: str, vault: PseudonymVault) -> str:
    """``text`` with every value the vault knows replaced by its placeholder (longest first)."""
    pairs = [(v, t) for t, values in vault.values_by_type().items() for v in values if v]
    for value, entity_type in sorted(pairs, key=lambda p: len(p[0]), reverse=True):
        text = text.replace(value, vault.placeholder_for(entity_type, value))
    return text


def stored_flags(flags: Sequence[RuleFlag], vault: PseudonymVault) -> str:
    """The flags as JSON for the message row, in placeholders ("" when there are none)."""
    if not flags:
        return ""
    rows = [{k: pseudonymise_known(v, vault) for k, v in asdict(flag).items()} for flag in flags]
    return json.dumps(rows, ensure_ascii=False)

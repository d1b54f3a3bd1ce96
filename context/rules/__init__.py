"""Business rules as executable checks: a validated rules file, facts from SQL, outcomes, checks."""

from context.rules.checks import RuleFlag, check_answer
from context.rules.engine import OrderOutcome, RuleOutcomes, evaluate
from context.rules.facts import CustomerFacts, OrderFactsRow, compute_facts
from context.rules.schema import RulesError, RuleSet, load_rules

__all__ = [
    "CustomerFacts",
    "OrderFactsRow",
    "OrderOutcome",
    "RuleFlag",
    "RuleOutcomes",
    "RuleSet",
    "RulesError",
    "check_answer",
    "compute_facts",
    "evaluate",
    "load_rules",
]

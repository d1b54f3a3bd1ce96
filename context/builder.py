"""The context step of a turn: SQL history, rule facts and outcomes, retrieval, budgeting.

``load`` reads the customer (bounded SQL) and evaluates the rules; ``build`` retrieves passages
for the pseudonymised question and fits everything into the budget. Both record how long their
stages took, so ``deskpilot bench context`` times exactly what a turn runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from context.assembly import Mask, PromptPlan, Redact, assemble, no_redaction
from context.crm_free_text import crm_free_texts
from context.customer_history import CustomerHistory, load_history
from context.memory import MemorySplit
from context.rules.engine import RuleOutcomes, evaluate
from context.rules.facts import compute_facts
from context.rules.schema import RuleSet
from context.tokens import TokenCounter
from retrieval import KnowledgeBase


class UnknownCustomer(LookupError):
    """No customer has this id."""


@dataclass(frozen=True, slots=True)
class LoadedCustomer:
    """One customer's history and what the rules concluded about them."""

    history: CustomerHistory
    outcomes: RuleOutcomes
    timings_ms: dict[str, float] = field(default_factory=dict)


def _discard(entity_type: str, value: str) -> str:
    """A mask for warm-up runs, whose output is thrown away."""
    return ""


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class ContextBuilder:
    """Builds the prompt plan of a turn from the database, the rules and the knowledge base."""

    def __init__(
        self,
        *,
        sessions: Callable[[], Session],
        knowledge: KnowledgeBase,
        rules: RuleSet,
        counter: TokenCounter,
        retrieval_k: int = 4,
        redact: Redact | None = None,
    ) -> None:
        self._sessions = sessions
        self._redact = redact or no_redaction
        self._knowledge = knowledge
        self._rules = rules
        self._counter = counter
        self._k = retrieval_k

    @property
    def rules(self) -> RuleSet:
        """The validated rules this builder applies."""
        return self._rules

    def load(self, customer_id: str) -> LoadedCustomer:
        """The customer's bounded history and rule outcomes (UnknownCustomer if none)."""
        started = time.perf_counter()
        with self._sessions() as session:
            history = load_history(session, customer_id)
            if history is None:
                raise UnknownCustomer(customer_id)
            facts = compute_facts(session, history)
        sql_ms = _ms(started)
        started = time.perf_counter()
        outcomes = evaluate(self._rules, facts)
        return LoadedCustomer(history, outcomes, {"sql": sql_ms, "rules": _ms(started)})

    def warm_redaction(self, loaded: LoadedCustomer) -> None:
        """Redact the record's free text ahead of the first ``build`` (fills the redactor's cache).

        Called when a conversation opens, so its first answer does not wait for the analysis.
        """
        for text in crm_free_texts(loaded.history):
            self._redact(text, _discard)

    def build(
        self,
        loaded: LoadedCustomer,
        query: str,
        *,
        mask: Mask,
        audience: str | None,
        budget: int,
        instructions_tokens: int,
        memory: MemorySplit | None = None,
        summary: str = "",
        earlier: Sequence[tuple[str, str]] = (),
    ) -> tuple[PromptPlan, dict[str, float]]:
        """Retrieve for ``query`` (pseudonymised) and fit the sections; returns stage timings."""
        timings = dict(loaded.timings_ms)
        started = time.perf_counter()
        hits = self._knowledge.search(query, k=self._k, audience=audience)
        timings["retrieval"] = _ms(started)
        started = time.perf_counter()
        plan = assemble(
            loaded.history,
            loaded.outcomes,
            hits,
            mask=mask,
            counter=self._counter,
            budget=budget,
            instructions_tokens=instructions_tokens,
            memory=memory,
            summary=summary,
            earlier=earlier,
            redact=self._redact,
        )
        timings["budgeting"] = _ms(started)
        return plan, timings

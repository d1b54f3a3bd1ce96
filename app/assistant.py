"""The turn orchestrator: the seven steps of one turn, from the user's text to the ledger row."""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field

from app.conversations import ConversationStore, StoredTurn
from app.errors import CustomerNotFound
from app.ledger import CallContext, Ledger
from app.provider_call import StreamedAnswer, stream_answer
from app.storage.database import SessionFactory
from app.turn_outcome import judge
from app.turn_types import (
    AnswerDelta,
    ContextReady,
    ContextSection,
    ConversationRole,
    SourceRef,
    TurnEvent,
    TurnResult,
)
from context.assembly import Budgets, ContextPlan, SectionPlan, assemble
from context.customer_history import CustomerHistory, find_customers, get_customer, load_history
from context.memory import select_memory
from context.tokens import TokenCounter
from guardrails import Pseudonymiser, PseudonymVault, StreamRestorer, check_input
from prompts.loader import PromptTemplate
from providers import Message
from providers.config import Task
from providers.factory import ProviderSet
from providers.routing import Router
from retrieval import KnowledgeBase

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """A customer as pickers and cards show them."""

    id: str
    name: str
    email: str
    tier: str


@dataclass(frozen=True, slots=True)
class AssistantConfig:
    """Per-deployment choices the orchestrator needs."""

    company: str = "Northwind Electronics"
    max_message_chars: int = 4000
    retrieval_k: int = 4
    temperature: float = 0.2
    budgets: Budgets = field(default_factory=Budgets)


class Assistant:
    """Runs turns: input checks, pseudonymisation, context, prompt, provider, restore, ledger."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        conversations: ConversationStore,
        pseudonymiser: Pseudonymiser,
        knowledge: KnowledgeBase,
        counter: TokenCounter,
        providers: ProviderSet,
        router: Router,
        ledger: Ledger,
        prompt: PromptTemplate,
        config: AssistantConfig,
    ) -> None:
        self._sessions = sessions
        self._conversations = conversations
        self._pseudonymiser = pseudonymiser
        self._knowledge = knowledge
        self._counter = counter
        self._providers = providers
        self._router = router
        self._ledger = ledger
        self._prompt = prompt
        self._config = config

    @property
    def providers(self) -> ProviderSet:
        """The provider stacks and caches this assistant calls."""
        return self._providers

    def with_providers(self, providers: ProviderSet, router: Router) -> Assistant:
        """The same assistant over other providers (shares every loaded component)."""
        clone = copy.copy(self)
        clone._providers, clone._router = providers, router
        return clone

    # -- customers -------------------------------------------------------------------------
    def find_customers(self, query: str, limit: int = 8) -> list[CustomerSummary]:
        """Customers by id, email or a fragment of the name."""
        with self._sessions() as session:
            found = find_customers(session, query, limit=limit)
            return [CustomerSummary(c.id, c.name, c.email, c.tier) for c in found]

    def customer_summary(self, customer_id: str) -> CustomerSummary:
        """One customer's card, or CustomerNotFound."""
        with self._sessions() as session:
            customer = get_customer(session, customer_id)
            if customer is None:
                raise CustomerNotFound(customer_id)
            return CustomerSummary(customer.id, customer.name, customer.email, customer.tier)

    async def start_conversation(
        self, *, user_id: int | None, customer_id: str, role: ConversationRole
    ) -> int:
        """Open a conversation about a customer; returns its id."""
        customer = self.customer_summary(customer_id)
        return self._conversations.create(user_id=user_id, customer_id=customer.id, role=role)

    # -- one turn --------------------------------------------------------------------------
    async def respond(self, conversation_id: int, text: str) -> AsyncIterator[TurnEvent]:
        """Run one turn, yielding the context provenance, answer deltas, then the result."""
        started = time.perf_counter()
        question = check_input(text, max_chars=self._config.max_message_chars)  # 1
        conversation = self._conversations.get(conversation_id)
        vault = self._conversations.vault(conversation)
        history = self._load_history(conversation.customer_id)
        known = _known_values(history)
        redaction = await asyncio.to_thread(  # 2
            functools.partial(self._pseudonymiser.anonymise, question, vault, known_values=known)
        )
        role: ConversationRole = "customer" if conversation.role == "customer" else "agent"
        plan, memory_plan, memory = await self._context(  # 3
            conversation_id, history, redaction.text, vault, role
        )
        sources = [SourceRef(h.source, h.title, h.section, h.score, h.text) for h in plan.passages]
        sections = [_section(s) for s in [*plan.sections, memory_plan]]
        yield ContextReady(sections=sections, sources=sources)

        messages = self._messages(plan, memory, redaction.text, role)  # 4
        _assert_no_raw_values(messages, known)
        turn = self._conversations.next_turn(conversation_id)
        task: Task = "customer_reply" if role == "customer" else "agent_reply"
        route = self._router.route(
            task, message=redaction.text, customer_tier=history.customer.tier
        )
        # The caches tell customers apart by the real id: the prompt only has <CUSTOMER_ID_1>.
        chain = self._providers.chain(
            route, prompt=self._prompt.ref, scope=conversation.customer_id
        )
        restorer = StreamRestorer(vault)
        answer = StreamedAnswer()
        first = route.entries[0]
        async for delta in stream_answer(  # 5, 6
            chain,
            messages,
            answer,
            model=first.model,
            max_tokens=first.max_tokens,
            temperature=self._config.temperature,
        ):
            shown = restorer.feed(delta)
            if shown:
                yield AnswerDelta(shown)
        tail = restorer.flush()
        if tail:
            yield AnswerDelta(tail)

        outcome = judge(answer, route)
        answer_pseudonymised = answer.text or outcome.fallback_text
        self._ledger.record(  # 7
            CallContext(
                conversation_id=conversation_id,
                turn=turn,
                user_id=conversation.user_id,
                task=route.task,
                prompt=self._prompt.ref,
                input_tokens_estimate=self._counter.count_messages([m.content for m in messages]),
                tier=route.tier,
                route_reason=route.reason,
            ),
            answer.attempts,
            [self._counter.count(answer.text) if a.ok else 0 for a in answer.attempts],
        )
        message_id = self._conversations.save_turn(
            conversation_id,
            turn,
            StoredTurn(
                question_raw=question,
                question_pseudonymised=redaction.text,
                answer_raw=vault.restore(answer_pseudonymised),
                answer_pseudonymised=answer_pseudonymised,
                complete=answer.complete,
                provider=outcome.provider,
                model=outcome.model,
                prompt=self._prompt.ref,
                degraded=outcome.degraded,
                provenance_json=json.dumps({"sections": [asdict(s) for s in sections]}),
            ),
            vault,
        )
        usage = outcome.usage
        cost = self._ledger.price(outcome.final) if outcome.final else None
        yield TurnResult(
            answer=vault.restore(answer_pseudonymised),
            conversation_id=conversation_id,
            provider=outcome.provider,
            model=outcome.model,
            degraded=outcome.degraded,
            notice=outcome.notice,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=float(cost) if cost is not None else None,
            prompt=self._prompt.ref,
            sources=sources,
            context=sections,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            message_id=message_id,
            fallback=outcome.fallback,
            route={"tier": route.tier, "reason": route.reason},
        )

    # -- steps -----------------------------------------------------------------------------
    def _load_history(self, customer_id: str) -> CustomerHistory:
        with self._sessions() as session:
            history = load_history(session, customer_id)
        if history is None:
            raise CustomerNotFound(customer_id)
        return history

    async def _context(
        self,
        conversation_id: int,
        history: CustomerHistory,
        query: str,
        vault: PseudonymVault,
        role: ConversationRole,
    ) -> tuple[ContextPlan, SectionPlan, list[tuple[str, str]]]:
        audience = "public" if role == "customer" else None
        hits = await asyncio.to_thread(
            functools.partial(
                self._knowledge.search, query, k=self._config.retrieval_k, audience=audience
            )
        )
        plan = assemble(
            history,
            hits,
            mask=vault.placeholder_for,
            counter=self._counter,
            budgets=self._config.budgets,
        )
        memory, memory_plan = select_memory(
            self._conversations.pseudonymised_turns(conversation_id),
            budget=self._config.budgets.memory,
            counter=self._counter,
        )
        return plan, memory_plan, memory

    def _messages(
        self,
        plan: ContextPlan,
        memory: list[tuple[str, str]],
        question: str,
        role: ConversationRole,
    ) -> list[Message]:
        rendered = self._prompt.render(
            {"company": self._config.company, "audience": role, "context": plan.render()},
            question,
        )
        earlier = [Message("user" if a == "user" else "assistant", t) for a, t in memory]
        return [rendered[0], *earlier, *rendered[1:]]


def _section(plan: SectionPlan) -> ContextSection:
    return ContextSection(plan.name, plan.tokens, plan.budget, plan.included, plan.dropped)


def _known_values(history: CustomerHistory) -> dict[str, list[str]]:
    c = history.customer
    known: dict[str, list[str]] = {"PERSON": [c.name], "EMAIL_ADDRESS": [c.email]}
    if c.phone:
        known["PHONE_NUMBER"] = [c.phone]
    return known


def _assert_no_raw_values(messages: Sequence[Message], known: dict[str, list[str]]) -> None:
    """Last line of defence: refuse to send a prompt that still holds a known personal value."""
    for message in messages:
        lowered = message.content.casefold()
        for values in known.values():
            for value in values:
                if value and value.casefold() in lowered:
                    raise RuntimeError("refusing to send: a personal value survived redaction")

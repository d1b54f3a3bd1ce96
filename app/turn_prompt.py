"""Steps 3-4 of a turn: the context plan within the model's window, then the prompt messages."""

from __future__ import annotations

import asyncio

from app.turn_memory import TurnMemory
from app.turn_types import ContextSection, ConversationRole
from context.assembly import PlanSection, PromptPlan
from context.builder import ContextBuilder, LoadedCustomer
from context.tokens import TokenCounter
from guardrails import PseudonymVault
from prompts.loader import PromptTemplate
from providers import Message
from providers.routing import Route


class TurnPrompt:
    """Builds a turn's context plan and renders it into the versioned prompt."""

    def __init__(
        self,
        context: ContextBuilder,
        counter: TokenCounter,
        prompt: PromptTemplate,
        *,
        company: str,
        context_max_tokens: int,
    ) -> None:
        self._context_builder = context
        self._counter = counter
        self._prompt = prompt
        self._company = company
        self._context_max_tokens = context_max_tokens

    async def plan(
        self,
        loaded: LoadedCustomer,
        query: str,
        vault: PseudonymVault,
        role: ConversationRole,
        route: Route,
        memory: TurnMemory,
    ) -> PromptPlan:
        """The context plan: the first model's window minus its answer, capped, shared out."""
        first = route.entries[0]
        budget = min(first.context_window - first.max_tokens, self._context_max_tokens)
        plan, _ = await asyncio.to_thread(
            self._build, loaded, query, vault, role, budget=budget, memory=memory
        )
        return plan

    def _build(
        self,
        loaded: LoadedCustomer,
        query: str,
        vault: PseudonymVault,
        role: ConversationRole,
        *,
        budget: int,
        memory: TurnMemory,
    ) -> tuple[PromptPlan, dict[str, float]]:
        """Count the instructions, then build the plan (blocking: tiktoken, retrieval, SQL-free)."""
        instructions = self._prompt.render(
            {"company": self._company, "audience": role, "context": ""}, query
        )
        return self._context_builder.build(
            loaded,
            query,
            mask=vault.placeholder_for,
            audience="public" if role == "customer" else None,
            budget=budget,
            instructions_tokens=self._counter.count_messages([m.content for m in instructions]),
            memory=memory.split,
            summary=memory.summary,
            earlier=memory.earlier,
        )

    def messages(self, plan: PromptPlan, question: str, role: ConversationRole) -> list[Message]:
        """The system prompt with the plan, the conversation so far, then the question."""
        rendered = self._prompt.render(
            {"company": self._company, "audience": role, "context": plan.render()},
            question,
        )
        earlier = [Message("user" if a == "user" else "assistant", t) for a, t in plan.memory]
        system, *asked = (Message(m.role, m.content) for m in rendered)
        return [system, *earlier, *asked]


def section_view(plan: PlanSection) -> ContextSection:
    """A plan section as the UI and ``chat --json`` show it."""
    return ContextSection(plan.name, plan.tokens, plan.budget, plan.included, plan.dropped)


def rule_facts(plan: PromptPlan, vault: PseudonymVault) -> list[str]:
    """The rule outcome lines of the prompt, restored for the agent's eyes."""
    lines = plan.blocks.get("rules", "").splitlines()[1:-1]
    return [vault.restore(line) for line in lines]

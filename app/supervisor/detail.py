"""One conversation for review: the decrypted transcript, each turn's calls, provenance, alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from app.audit import ALERT, AuditEntry, AuditLog
from app.conversations import ConversationStore
from app.cost_controls import BUDGET_REFUSED
from app.errors import ConversationNotFound
from app.storage.database import SessionFactory
from app.storage.tables import CallRecord, ChatMessage, Conversation, Feedback, User
from context.crm_tables import Customer

# Alerts judge the hour before they fire: one raised soon after the last turn may concern it.
ALERT_MARGIN = timedelta(minutes=60)


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the turn's context: what went in, what was dropped for budget."""

    name: str
    tokens: int
    budget: int
    included: list[str]
    dropped: list[str]


@dataclass(frozen=True, slots=True)
class Provenance:
    """The stored context report of an answer."""

    rules_version: str
    budget: int
    sections: list[Section]


@dataclass(frozen=True, slots=True)
class FeedbackView:
    """A thumbs up or down on the answer."""

    value: int
    comment: str | None


@dataclass(frozen=True, slots=True)
class TurnView:
    """One question and its answer, with what producing the answer took."""

    turn: int
    question: str | None
    answer: str | None
    answer_complete: bool
    provider: str | None
    model: str | None
    prompt: str | None
    degraded: bool
    calls: list[CallRecord]
    provenance: Provenance | None
    rule_flags: list[dict[str, str]]
    feedback: list[FeedbackView]

    @property
    def tokens_in(self) -> int:
        """Input tokens of every attempt (reported, else estimated)."""
        return sum(_tokens(c.input_tokens, c.input_tokens_estimate) for c in self.calls)

    @property
    def tokens_out(self) -> int:
        """Output tokens of every attempt (reported, else estimated)."""
        return sum(_tokens(c.output_tokens, c.output_tokens_estimate) for c in self.calls)

    @property
    def cost_usd(self) -> Decimal:
        """The exact cost of every attempt (unpriced ones count zero)."""
        return sum((c.cost_usd or Decimal(0) for c in self.calls), Decimal(0))

    @property
    def latency_ms(self) -> float:
        """Time spent in provider calls, retries and fallbacks included."""
        return sum(c.latency_ms for c in self.calls)

    @property
    def first_token_ms(self) -> float | None:
        """Time to first token of the attempt that answered."""
        answered = [c for c in self.calls if c.ok]
        return answered[-1].first_token_ms if answered else None

    @property
    def fallback_depth(self) -> int:
        """How far down the fallback chain the answer came from."""
        return max((c.fallback_depth for c in self.calls if c.ok), default=0)

    @property
    def cache_hit(self) -> str | None:
        """exact or semantic when a cache answered."""
        return next((c.cache_hit for c in self.calls if c.cache_hit), None)


@dataclass(frozen=True, slots=True)
class ConversationDetail:
    """Everything the detail page shows."""

    id: int
    started: datetime
    updated: datetime
    role: str
    agent: str | None
    user_id: int | None
    customer_id: str
    customer_name: str | None
    turns: list[TurnView]
    other_calls: list[CallRecord]  # ledger rows of no stored turn (e.g. summaries)
    alerts: list[AuditEntry] = field(default_factory=list)
    refusals: list[AuditEntry] = field(default_factory=list)

    @property
    def cost_usd(self) -> Decimal:
        """The conversation's exact cost over every ledger row."""
        rows = [c for t in self.turns for c in t.calls] + self.other_calls
        return sum((c.cost_usd or Decimal(0) for c in rows), Decimal(0))


def _tokens(reported: int | None, estimate: int) -> int:
    return reported if reported is not None else estimate


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_provenance(text: str) -> Provenance | None:
    """The stored context report, or None when absent or unreadable."""
    try:
        data = json.loads(text) if text else None
        if not isinstance(data, dict):
            return None
        sections = [
            Section(
                name=str(s.get("name", "")),
                tokens=int(s.get("tokens", 0)),
                budget=int(s.get("budget", 0)),
                included=[str(item) for item in s.get("included") or []],
                dropped=[str(item) for item in s.get("dropped") or []],
            )
            for s in data.get("sections") or []
        ]
        return Provenance(str(data.get("rules_version", "")), int(data.get("budget", 0)), sections)
    except (ValueError, TypeError, AttributeError):
        return None


def parse_rule_flags(text: str) -> list[dict[str, str]]:
    """The stored rule flags (check, detail, sentence), [] when none or unreadable."""
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [{str(k): str(v) for k, v in item.items()} for item in data if isinstance(item, dict)]


def _turns(
    messages: Sequence[ChatMessage],
    texts: Sequence[tuple[str, str]],
    calls: Sequence[CallRecord],
    feedback: Sequence[Feedback],
) -> tuple[list[TurnView], list[CallRecord]]:
    raw = {m.id: (texts[n][1] if n < len(texts) else "") for n, m in enumerate(messages)}
    by_turn: dict[int, dict[str, ChatMessage]] = {}
    for message in messages:
        by_turn.setdefault(message.turn, {})[message.author] = message
    views = []
    for turn, pair in sorted(by_turn.items()):
        question, answer = pair.get("user"), pair.get("assistant")
        views.append(
            TurnView(
                turn=turn,
                question=raw[question.id] if question else None,
                answer=raw[answer.id] if answer else None,
                answer_complete=answer.complete if answer else False,
                provider=answer.provider if answer else None,
                model=answer.model if answer else None,
                prompt=answer.prompt if answer else None,
                degraded=answer.degraded if answer else False,
                calls=[c for c in calls if c.turn == turn],
                provenance=parse_provenance(answer.provenance_json) if answer else None,
                rule_flags=parse_rule_flags(answer.rule_flags_json) if answer else [],
                feedback=[
                    FeedbackView(f.value, f.comment)
                    for f in feedback
                    if answer is not None and f.message_id == answer.id
                ],
            )
        )
    other = [c for c in calls if c.turn not in by_turn]
    return views, other


def _events(audit: AuditLog, action: str, start: datetime, keep: Any) -> list[AuditEntry]:
    found = audit.entries(since=start, action=action, limit=5000)
    return sorted((e for e in found if keep(e)), key=lambda e: e.id, reverse=True)


def conversation_detail(
    sessions: SessionFactory, store: ConversationStore, audit: AuditLog, conversation_id: int
) -> ConversationDetail:
    """The conversation for review; ConversationNotFound when there is none."""
    with sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.id is None:
            raise ConversationNotFound(conversation_id)
        user = session.get(User, conversation.user_id) if conversation.user_id else None
        customer = session.get(Customer, conversation.customer_id)
        messages = session.exec(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(col(ChatMessage.id))
        ).all()
        calls = session.exec(
            select(CallRecord)
            .where(CallRecord.conversation_id == conversation_id)
            .order_by(col(CallRecord.id))
        ).all()
        message_ids = [m.id for m in messages if m.author == "assistant"]
        feedback = session.exec(
            select(Feedback)
            .where(col(Feedback.message_id).in_(message_ids))
            .order_by(col(Feedback.id))
        ).all()
    turns, other = _turns(messages, store.transcript(conversation_id), calls, feedback)
    start, end = aware(conversation.created_at), aware(conversation.updated_at) + ALERT_MARGIN
    own_key = f"budget:conversation:{conversation_id}"
    user_prefix = f"budget:user:{conversation.user_id}:" if conversation.user_id else None

    def in_window(entry: AuditEntry) -> bool:
        return aware(entry.created_at) <= end

    def ours(entry: AuditEntry) -> bool:
        # A refusal of this conversation counts whenever it came (it may have stopped a turn
        # from being stored); one of the user's daily budget only within the window.
        key = str(entry.detail.get("key", ""))
        by_user = user_prefix is not None and key.startswith(user_prefix)
        return key == own_key or (by_user and in_window(entry))

    return ConversationDetail(
        id=conversation.id,
        started=conversation.created_at,
        updated=conversation.updated_at,
        role=conversation.role,
        agent=user.username if user else None,
        user_id=conversation.user_id,
        customer_id=conversation.customer_id,
        customer_name=customer.name if customer else None,
        turns=turns,
        other_calls=other,
        alerts=_events(audit, ALERT, start, in_window),
        refusals=_events(audit, BUDGET_REFUSED, start, ours),
    )

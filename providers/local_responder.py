"""The local responder: a grounded answer composed without any language model.

It is the last fallback when every provider is down and the only provider on a machine without an
API key. It reads the context blocks of the prompt (``prompt_parsing``), states the facts of the
order or ticket the question is about, quotes the knowledge-base sentences that overlap the
question best (``passage_selection``), names their sources, and says plainly that it is offline.
Personal values arrive as placeholders (``<PERSON_1>``) and are left as they are: they are
restored downstream. Same input, same answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence

from providers.base import Chunk, Completion, Message, Usage
from providers.local_triage import answer_task, task_of
from providers.passage_selection import content_stems, select_sentences, stem
from providers.prompt_parsing import ParsedPrompt, Record, parse_prompt

OFFLINE_NOTE = (
    "_Offline responder: composed from the knowledge base and account records "
    "without a language model._"
)
# Ids as the company writes them, or as placeholders once pseudonymised.
_ORDER_ID = re.compile(r"\bORD-\d+\b|<ORDER_ID_\d+>", re.IGNORECASE)
_TICKET_ID = re.compile(r"\bTCK-\d+\b|<TICKET_ID_\d+>", re.IGNORECASE)
_ORDER_WORDS = frozenset(
    stem(word)
    for word in (
        "order",
        "delivery",
        "parcel",
        "package",
        # not "shipping": "how much does shipping cost" is a policy question, not about an order
        "shipment",
        "tracking",
        "arrive",
    )
)
_TICKET_WORDS = frozenset({stem("ticket"), stem("case"), stem("complaint")})
_CLOSED_TICKET = frozenset({"closed", "resolved", "solved", "done"})
_STATUS_PHRASES = {
    "shipped": "has shipped",
    "delivered": "was delivered",
    "cancelled": "was cancelled",
    "canceled": "was cancelled",
    "processing": "is being processed",
    "pending": "is pending",
    "returned": "was returned",
    "refunded": "was refunded",
}


def estimate_tokens(text: str) -> int:
    """A rough token count (about four tokens for every three words) when no tokenizer is given."""
    words = len(text.split())
    return (words * 4 + 2) // 3


def compose_answer(prompt: ParsedPrompt) -> str:
    """The full answer text for one parsed prompt."""
    agent = prompt.audience == "agent"
    wanted = content_stems(prompt.question)
    orders = _orders_asked_about(prompt, wanted)
    paragraphs = [_greeting(prompt)]
    facts = _order_paragraph(prompt, orders) + _ticket_paragraph(prompt, wanted, orders)
    paragraphs += facts
    # Words the account facts already answered ("order", "ticket") should not pull in passages.
    answered = (_ORDER_WORDS if orders else frozenset()) | (_TICKET_WORDS if facts else frozenset())
    question = _TICKET_ID.sub(" ", _ORDER_ID.sub(" ", prompt.question))
    selection = select_sentences(question, prompt.passages, ignore=answered)
    if selection.sentences:
        lead = "From the knowledge base:" if agent else "Here is what our help centre says:"
        paragraphs.append(lead + " " + " ".join(selection.sentences))
        # Several passages of one article are one source to the reader.
        named = dict.fromkeys(f"{p.title} ({p.source})" for p in selection.passages)
        sources = ", ".join(named)
        paragraphs.append(f"Sources: {sources}")
    if not facts and not selection.sentences:
        paragraphs.append(_nothing_found(agent))
    paragraphs.append(OFFLINE_NOTE)
    return "\n\n".join(p for p in paragraphs if p)


def _greeting(prompt: ParsedPrompt) -> str:
    name = prompt.customer.get("name", "")
    if prompt.audience != "agent":
        return f"Hi {name}," if name else "Hi,"
    customer_id = prompt.customer.get("id", "")
    if name and customer_id:
        return f"For {name} ({customer_id}):"
    if name or customer_id:
        return f"For {name or customer_id}:"
    return ""


def _orders_asked_about(prompt: ParsedPrompt, wanted: frozenset[str]) -> list[Record | str]:
    """Orders the question names (a str for an id not on the account), else the latest one."""
    named = list(dict.fromkeys(m.upper() for m in _ORDER_ID.findall(prompt.question)))
    by_id = {order.id.upper(): order for order in prompt.orders}
    if named:
        return [by_id.get(order_id, order_id) for order_id in named]
    if wanted & _ORDER_WORDS and prompt.orders:
        # A follow-up ("when will it arrive?") is about the order the conversation last named.
        for message in reversed(prompt.history):
            earlier = [
                by_id[m.upper()] for m in _ORDER_ID.findall(message.content) if m.upper() in by_id
            ]
            if earlier:
                return [earlier[-1]]
        return [max(prompt.orders, key=lambda order: (order.get("placed"), order.id))]
    if wanted & _ORDER_WORDS:
        return ["(none)"]
    return []


def _order_paragraph(prompt: ParsedPrompt, orders: list[Record | str]) -> list[str]:
    agent = prompt.audience == "agent"
    lines: list[str] = []
    for order in orders:
        if order == "(none)":
            lines.append(
                "There are no orders on this customer's account."
                if agent
                else "I can't see any orders on your account."
            )
        elif isinstance(order, str):
            owner = "this customer's" if agent else "your"
            lines.append(f"I can't find order {order} on {owner} account; please check the number.")
        else:
            lines.append(describe_order(order))
    return lines


def describe_order(order: Record) -> str:
    """One or two sentences with the facts of an order."""
    status = order.get("status").lower()
    placed = f", placed on {order.get('placed')}," if order.get("placed") else ""
    phrase = _STATUS_PHRASES.get(status, f"has status {status}" if status else "is on record")
    if status == "delivered" and order.get("delivered"):
        phrase += f" on {order.get('delivered')}"
    parts = [f"Order {order.id}{placed} {phrase}."]
    if order.get("carrier"):
        sent = f"It was sent with {order.get('carrier')}"
        if order.get("shipped"):
            sent += f" on {order.get('shipped')}"
        if order.get("tracking"):
            sent += f" (tracking number {order.get('tracking')})"
        parts.append(sent + ".")
    if order.get("expected") and status not in {"delivered", "cancelled", "canceled"}:
        parts.append(f"Expected delivery: {order.get('expected')}.")
    if order.get("items"):
        parts.append(f"Items: {order.get('items')}.")
    if order.get("total"):
        parts.append(f"Total: {order.get('total')}.")
    return " ".join(parts)


def _ticket_paragraph(
    prompt: ParsedPrompt, wanted: frozenset[str], orders: list[Record | str]
) -> list[str]:
    agent = prompt.audience == "agent"
    named = {m.upper() for m in _TICKET_ID.findall(prompt.question)}
    order_ids = {order.id for order in orders if isinstance(order, Record)}
    open_tickets = [t for t in prompt.tickets if t.get("status").lower() not in _CLOSED_TICKET]
    if named:
        matches = [t for t in prompt.tickets if t.id.upper() in named]
    elif wanted & _TICKET_WORDS:
        matches = open_tickets
    else:
        matches = [t for t in open_tickets if t.get("order") in order_ids]
    if matches:
        return [describe_ticket(t, agent=agent) for t in matches]
    if named:
        return [f"I can't find ticket {', '.join(sorted(named))} on this account."]
    if wanted & _TICKET_WORDS:
        return ["There are no open tickets on this account."]
    return []


def describe_ticket(ticket: Record, *, agent: bool) -> str:
    """One sentence summarising a ticket (internal priority only for agents)."""
    subject = f' "{ticket.get("subject")}"' if ticket.get("subject") else ""
    status = ticket.get("status") or "open"
    details = [status]
    if agent and ticket.get("priority"):
        details.append(f"{ticket.get('priority')} priority")
    if agent and ticket.get("category"):
        details.append(ticket.get("category"))
    about = f", about order {ticket.get('order')}" if ticket.get("order") else ""
    opened = f", opened {ticket.get('created')}" if ticket.get("created") else ""
    return f"Ticket {ticket.id}{subject} is {', '.join(details)}{about}{opened}."


def _nothing_found(agent: bool) -> str:
    if agent:
        return (
            "I found nothing in the knowledge base or the customer's records that answers this. "
            "Try naming an order or ticket id or more specific terms, or hand the conversation "
            "to a specialist."
        )
    return (
        "I couldn't find anything in our help centre or on your account that answers this. "
        "Could you tell me a little more, for example an order number (ORD-...) or the topic? "
        "If you prefer, I can pass your question to a member of our support team."
    )


def split_for_streaming(text: str, words_per_chunk: int = 3) -> list[str]:
    """Cut text into pieces of a few words each that concatenate back to exactly the text."""
    starts = [m.start() for m in re.finditer(r"\S+", text)][::words_per_chunk]
    if not starts:
        return [text] if text else []
    starts[0] = 0
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


class LocalResponder:
    """A ``ChatProvider`` that answers from the prompt's own context, without a language model.

    ``model``, ``max_tokens`` and ``temperature`` are accepted for the interface and ignored; the
    reported model is always ``local-responder``.
    """

    model = "local-responder"

    def __init__(
        self,
        *,
        name: str = "local",
        chunk_delay_s: float = 0.0,
        count_tokens: Callable[[str], int] | None = None,
    ) -> None:
        self.name = name
        self.chunk_delay_s = chunk_delay_s
        self._count = count_tokens or estimate_tokens

    def answer(self, messages: Sequence[Message]) -> tuple[str, Usage]:
        """The answer text and its token usage."""
        task = task_of(messages)  # triage prompts get their JSON answer, not a grounded reply
        text = answer_task(task, messages) if task else compose_answer(parse_prompt(messages))
        usage = Usage(sum(self._count(m.content) for m in messages), self._count(text))
        return text, usage

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str = model,
        max_tokens: int = 0,
        temperature: float = 0.0,
    ) -> Completion:
        """Answer in one piece."""
        started = time.perf_counter()
        text, usage = self.answer(messages)
        return Completion(
            text=text,
            usage=usage,
            model=self.model,
            finish_reason="stop",
            latency_ms=(time.perf_counter() - started) * 1000.0,
            extra={"provider": self.name},
        )

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str = model,
        max_tokens: int = 0,
        temperature: float = 0.0,
    ) -> AsyncIterator[Chunk]:
        """Answer in chunks of a few words, paced by ``chunk_delay_s``."""
        text, usage = self.answer(messages)
        for piece in split_for_streaming(text):
            yield Chunk(piece)
            if self.chunk_delay_s > 0:
                await asyncio.sleep(self.chunk_delay_s)
        yield Chunk("", finish_reason="stop", usage=usage)

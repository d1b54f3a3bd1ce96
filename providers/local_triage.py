"""The local responder's triage work: classify, summarise and suggest a next step, without a model.

A triage prompt names its task in a marker, ``<task name="triage_classify"/>``, and quotes the
ticket in ``<ticket>`` (and, for summaries, the thread in ``<thread>``). The answer is the same
JSON the prompt asks a model for, so the rest of the app cannot tell the two apart except by the
model name. Classification comes from ``triage_rules``; the summary is extractive (the ticket's
opening sentences that state the problem, then the latest entry of the thread); the next action
follows the category and urgency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from providers.base import Message
from providers.passage_selection import split_sentences
from providers.triage_rules import classify_text

TASKS = ("triage_classify", "ticket_summary", "next_action")
_TASK = re.compile(r'<task\s+name="([a-z_]+)"\s*/?>')
_PROBLEM = re.compile(
    r"\b(?:not|never|no|\w+n't|cannot|broken?|broke|damaged|cracked|late|delayed|stuck|"
    r"stopped|fails?|failing|failed|keeps|drops?|dropping|disconnects?|crash(?:es|ing)?|"
    r"freez(?:es|ing)|fault|faulty|problem|issue|charged?|refund|return|hot|smell|"
    r"swelling|bulging|wrong|missing|lost|error)\b",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^(Subject|Order):[ \t]*(.*)$", re.MULTILINE)
_ASK = re.compile(
    r"\?|\b(?:please|can you|could you|i would like|i want|i need|how do i)\b", re.IGNORECASE
)

# (action, team) per category; P1 overrides with an escalation.
_ACTIONS: dict[str, tuple[str, str]] = {
    "shipping": (
        "Check the carrier tracking; if it is past the expected date or shows delivered but "
        "the customer has nothing, open a carrier trace and tell the customer it takes up to "
        "5 business days.",
        "logistics",
    ),
    "damage": (
        "Ask for photos of the item and the box if not attached, then offer a replacement or "
        "refund with a prepaid return label.",
        "support",
    ),
    "returns": (
        "Check the order is within the return window for the customer's tier and send the "
        "return (or exchange) label.",
        "support",
    ),
    "refund": (
        "Check whether the return was received and the refund issued; give the date and "
        "explain card refunds take 5-10 business days.",
        "billing",
    ),
    "technical": (
        "Send the product's troubleshooting steps (reset, update, re-pair); if they fail, "
        "start a warranty replacement.",
        "support",
    ),
    "warranty": (
        "Confirm the purchase date is within the warranty period and start a warranty claim "
        "with a prepaid label.",
        "support",
    ),
    "billing": (
        "Check the payment record for the order; send the invoice or correct the charge, "
        "and tell the customer what they will see on their statement and when.",
        "billing",
    ),
    "order_change": (
        "Check the order has not shipped yet and make the change (address or cancellation) "
        "right away; confirm it to the customer.",
        "support",
    ),
    "account": (
        "Verify the customer's identity (order number and postcode), then send a password "
        "reset or update the account details.",
        "accounts",
    ),
    "general": (
        "Answer from the knowledge base (policies, membership, delivery options) and link "
        "the relevant article.",
        "support",
    ),
}
_ESCALATE = (
    "Escalate now: tell the customer to stop using and charging the item if it is a safety "
    "issue, and hand the ticket to the product safety or security team.",
    "product_safety",
)


def task_of(messages: Sequence[Message]) -> str | None:
    """The triage task a prompt asks for, or None for any other prompt."""
    for message in messages:
        if message.role == "system":
            found = _TASK.search(message.content)
            if found and found.group(1) in TASKS:
                return found.group(1)
    return None


def _block(messages: Sequence[Message], tag: str) -> str:
    system = "\n".join(m.content for m in messages if m.role == "system")
    found = re.search(rf"<{tag}>(.*?)</{tag}>", system, re.DOTALL)
    return found.group(1).strip() if found else ""


def classify(ticket: str) -> dict[str, str]:
    """The triage_classify answer for a ticket's text."""
    return classify_text(ticket).as_dict()


def summarise(ticket: str, thread: str = "", max_points: int = 4) -> dict[str, object]:
    """An extractive summary: the sentences that state the problem and the ask, then the latest
    entry of the thread."""
    headers = dict(_HEADER.findall(ticket))
    body = " ".join(_HEADER.sub(" ", ticket).split())
    sentences = [s.strip() for s in split_sentences(body) if s.strip()]
    chosen = [s for s in sentences if _PROBLEM.search(s) or _ASK.search(s)][:max_points]
    chosen = chosen or sentences[:2]
    # Thread entries are "- ..." lines; anything else (a "no contacts" note) is not a contact.
    entries = [line.strip()[2:].strip() for line in thread.splitlines() if line.strip()[:2] == "- "]
    subject = headers.get("Subject", "").strip()
    order = headers.get("Order", "").strip()
    lead = f"{subject} ({order})" if subject and order else subject or order
    summary = " ".join(chosen[:2]) or "The ticket has no description."
    if lead:
        summary = f"{lead}: {summary}"
    if entries:
        count = f"{len(entries)} contacts" if len(entries) > 1 else "1 contact"
        summary += f" Latest of {count}: {entries[-1]}"
    points = chosen[:max_points] + ([f"Latest: {entries[-1]}"] if entries else [])
    return {"summary": summary, "key_points": points}


def next_action(ticket: str, urgency: str = "", category: str = "") -> dict[str, str]:
    """The next step for a ticket, from its classification (computed when not given)."""
    if not urgency or not category:
        found = classify_text(ticket)
        urgency, category = urgency or found.urgency, category or found.category
    action, team = _ESCALATE if urgency == "P1" else _ACTIONS.get(category, _ACTIONS["general"])
    return {"action": action, "team": team, "reason": f"{urgency} {category} ticket"}


def answer_task(task: str, messages: Sequence[Message]) -> str:
    """The JSON answer of the local responder to a triage prompt."""
    ticket = _block(messages, "ticket")
    if task == "triage_classify":
        return json.dumps(classify(ticket))
    if task == "ticket_summary":
        return json.dumps(summarise(ticket, _block(messages, "thread")))
    known = dict(
        line.split(":", 1)
        for line in _block(messages, "classification").splitlines()
        if ":" in line
    )
    return json.dumps(
        next_action(
            ticket,
            urgency=known.get("urgency", "").strip(),
            category=known.get("category", "").strip(),
        )
    )

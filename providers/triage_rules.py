"""Rules-based ticket classification: urgency P1-P4 and a category, from keywords and phrases.

Generic support wording, not one company's templates: each category has weighted phrase patterns,
the best score wins (ties go to the category listed first), and no match at all is ``general``.
Urgency is decided by signals in the text, most severe first:

- P1: a risk to someone's safety (heat, burning, smoke, swelling battery, sparks, shock) or an
  active security or fraud problem (account hacked, unauthorised charges);
- P2: the customer is blocked or out of money or goods now (parcel late, lost or missing, item
  arrived broken, charged for a cancelled order, locked out), or an order must be changed before
  it ships, or a stated deadline;
- P4: a question with no problem in it (policies, membership, delivery options);
- P3: everything else (troubleshooting, warranty, returns, refunds, invoices).

Deterministic: same text, same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.triage_patterns import CATEGORY_RULES, P1_SIGNALS, P2_SIGNALS, QUESTION_ONLY

CATEGORIES: tuple[str, ...] = (
    "shipping",
    "damage",
    "returns",
    "refund",
    "technical",
    "warranty",
    "billing",
    "order_change",
    "account",
    "general",
)
URGENCIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")


@dataclass(frozen=True, slots=True)
class RuleClassification:
    """The rules' verdict and the words that decided it."""

    urgency: str
    category: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape the triage_classify prompt asks for."""
        return {"urgency": self.urgency, "category": self.category, "reason": self.reason}


def category_scores(text: str) -> dict[str, int]:
    """Score of every category that matched at least one pattern."""
    scores: dict[str, int] = {}
    for category, rules in CATEGORY_RULES.items():
        score = sum(len(pattern.findall(text)) * weight for pattern, weight in rules)
        if score:
            scores[category] = score
    return scores


def classify_text(text: str) -> RuleClassification:
    """Urgency and category of a ticket's text (subject and body), with a short reason."""
    scores = category_scores(text)
    category = max(CATEGORIES, key=lambda c: (scores.get(c, 0), -CATEGORIES.index(c)))
    if not scores:
        category = "general"
    urgency, signal = _urgency(text, category)
    why = f"category {category} (score {scores.get(category, 0)})"
    return RuleClassification(urgency, category, f"{signal}; {why}")


def _urgency(text: str, category: str) -> tuple[str, str]:
    levels = (("P1", P1_SIGNALS, "safety or security risk"), ("P2", P2_SIGNALS, "blocked"))
    for level, pattern, label in levels:
        found = pattern.search(text)
        if found:
            return level, f"{level}: {label} ({found.group(0).lower()!r})"
    question = QUESTION_ONLY.search(text)
    if question or category == "general":
        said = f" ({question.group(0).lower()!r})" if question else ""
        return "P4", f"P4: a question, no problem reported{said}"
    return "P3", "P3: a problem with a known path"

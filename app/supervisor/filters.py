"""The filters of the conversation list, parsed from query parameters into one frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import urlencode

FeedbackFilter = Literal["up", "down", "any", "none"]
FEEDBACK_CHOICES: tuple[FeedbackFilter, ...] = ("up", "down", "any", "none")
_YES_NO = {"yes": True, "no": False}
_MAX_TEXT = 150  # the longest username the user table allows
PAGE_SIZE = 50


class FilterError(ValueError):
    """A query parameter that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ConversationFilters:
    """What narrows the conversation list (None: not filtered) and which page to show."""

    date_from: date | None = None
    date_to: date | None = None  # inclusive
    agent: str | None = None  # username of who held the conversation
    customer_id: str | None = None
    degraded: bool | None = None
    flagged: bool | None = None
    feedback: FeedbackFilter | None = None
    min_cost: Decimal | None = None
    page: int = 1

    def params(self, *, page: int | None = None) -> dict[str, str]:
        """The filters as query parameters (only those set); ``page`` replaces the page."""
        values: dict[str, str] = {}
        if self.date_from is not None:
            values["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            values["to"] = self.date_to.isoformat()
        if self.agent is not None:
            values["agent"] = self.agent
        if self.customer_id is not None:
            values["customer"] = self.customer_id
        if self.degraded is not None:
            values["degraded"] = "yes" if self.degraded else "no"
        if self.flagged is not None:
            values["flagged"] = "yes" if self.flagged else "no"
        if self.feedback is not None:
            values["feedback"] = self.feedback
        if self.min_cost is not None:
            values["min_cost"] = f"{self.min_cost:f}"
        chosen = self.page if page is None else page
        if chosen != 1:
            values["page"] = str(chosen)
        return values

    def query_string(self, *, page: int | None = None, with_page: bool = True) -> str:
        """``params`` URL-encoded (without the page for the CSV link)."""
        values = self.params(page=page)
        if not with_page:
            values.pop("page", None)
        return urlencode(values)

    def audit_detail(self) -> dict[str, Any]:
        """The filters for the audit log: ids, dates, flags and amounts, never free text."""
        return self.params()


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    if len(value) > _MAX_TEXT:
        raise FilterError(f"'{name}' is too long (at most {_MAX_TEXT} characters).")
    return value or None


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = _text(params, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"'{name}' must be a date like 2026-03-01.") from None


def _yes_no(params: Mapping[str, str], name: str) -> bool | None:
    value = _text(params, name)
    if value is None or value == "all":
        return None
    if value.lower() not in _YES_NO:
        raise FilterError(f"'{name}' must be yes or no.")
    return _YES_NO[value.lower()]


def _feedback(params: Mapping[str, str]) -> FeedbackFilter | None:
    value = _text(params, "feedback")
    if value is None or value == "all":
        return None
    for choice in FEEDBACK_CHOICES:
        if value.lower() == choice:
            return choice
    raise FilterError("'feedback' must be one of up, down, any, none.")


def _min_cost(params: Mapping[str, str]) -> Decimal | None:
    value = _text(params, "min_cost")
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise FilterError("'min_cost' must be an amount in USD like 0.05.") from None
    if not amount.is_finite() or amount < 0:
        raise FilterError("'min_cost' must be zero or more.")
    return amount


def _page(params: Mapping[str, str]) -> int:
    value = _text(params, "page")
    if value is None:
        return 1
    if not value.isdigit() or int(value) < 1 or len(value) > 6:
        raise FilterError("'page' must be a whole number from 1.")
    return int(value)


def parse_filters(params: Mapping[str, str]) -> ConversationFilters:
    """Validate the query parameters; FilterError with a message for the first bad one."""
    filters = ConversationFilters(
        date_from=_date(params, "from"),
        date_to=_date(params, "to"),
        agent=_text(params, "agent"),
        customer_id=_text(params, "customer"),
        degraded=_yes_no(params, "degraded"),
        flagged=_yes_no(params, "flagged"),
        feedback=_feedback(params),
        min_cost=_min_cost(params),
        page=_page(params),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise FilterError("'from' must not be after 'to'.")
    return filters

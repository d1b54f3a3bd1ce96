"""HTML of the supervisor pages: Jinja2 templates (autoescaped) under ``templates/``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.audit import AuditEntry
from app.supervisor.charts import bar_chart, share_chart
from app.supervisor.daily import DayPoint
from app.supervisor.detail import ConversationDetail
from app.supervisor.filters import FEEDBACK_CHOICES, ConversationFilters
from app.supervisor.queries import ConversationPage

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def usd(value: Decimal | None) -> str:
    """A cost in USD with every stored digit, trailing zeros trimmed to cents at least."""
    if value is None:
        return "—"
    text = f"{value:.8f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def plain(value: Decimal) -> str:
    """A decimal as digits, never in exponent notation (``0E-8``), for data attributes."""
    return f"{value:f}"


def ms(value: float | None) -> str:
    """Milliseconds, rounded, or a dash."""
    return "—" if value is None else f"{value:,.0f} ms"


def when(value: Any) -> str:
    """A stored time to the second (all stored times are UTC)."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "—"


@dataclass(frozen=True, slots=True)
class Pages:
    """Renders each page; built once per mount."""

    env: Environment

    def render(self, name: str, **context: Any) -> str:
        """Render one template."""
        return self.env.get_template(name).render(**context)

    def conversations(
        self,
        page: ConversationPage,
        filters: ConversationFilters,
        series: Sequence[DayPoint],
        reviewer: str,
    ) -> str:
        """The filtered list with totals, charts and paging."""
        return self.render(
            "list.html",
            page=page,
            filters=filters,
            charts=charts(series),
            reviewer=reviewer,
            feedback_choices=FEEDBACK_CHOICES,
        )

    def detail(self, detail: ConversationDetail, reviewer: str) -> str:
        """One conversation's review."""
        return self.render("detail.html", c=detail, reviewer=reviewer)

    def alerts(self, events: Sequence[AuditEntry], days: int, reviewer: str) -> str:
        """Alerts and budget refusals."""
        return self.render("alerts.html", events=events, days=days, reviewer=reviewer)

    def message(self, title: str, text: str) -> str:
        """A plain page for 400, 403 and 404."""
        return self.render("message.html", title=title, text=text)


def charts(series: Sequence[DayPoint]) -> list[tuple[str, Markup]]:
    """(caption, SVG) of spend, tokens and degraded share per day."""
    days = [p.day for p in series]
    spend = [float(p.cost_usd) for p in series]
    tokens = [float(p.tokens) for p in series]
    shares = [p.degraded_share for p in series]
    return [
        ("Spend per day (USD)", bar_chart("chart-spend", "Spend per day", days, spend, _dollars)),
        ("Tokens per day", bar_chart("chart-tokens", "Tokens per day", days, tokens, _count)),
        ("Degraded share of answers", share_chart("chart-degraded", "Degraded", days, shares)),
    ]


def _dollars(value: float) -> str:
    return f"${value:,.4f}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def build_pages() -> Pages:
    """The template environment: autoescaped, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["usd"] = usd
    env.filters["ms"] = ms
    env.filters["plain"] = plain
    env.filters["when"] = when
    return Pages(env)

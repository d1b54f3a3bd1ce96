"""Charts drawn on the server as inline SVG: bars per day, and a line of a share per day.

No JavaScript: the page stays readable without scripts and its CSP allows none. Every label is
escaped; the numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 14, 26


def _frame(chart_id: str, title: str, top_label: str, days: Sequence[date], body: str) -> Markup:
    plot_bottom = HEIGHT - _BOTTOM
    labels = ""
    if days:
        labels = (
            f'<text x="{_LEFT}" y="{HEIGHT - 8}" class="axis">{escape(days[0].isoformat())}</text>'
            f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 8}" class="axis" text-anchor="end">'
            f"{escape(days[-1].isoformat())}</text>"
        )
    return Markup(
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" class="axis" text-anchor="end">'
        f"{escape(top_label)}</text>"
        f'<text x="{_LEFT - 6}" y="{plot_bottom}" class="axis" text-anchor="end">0</text>'
        f'<line x1="{_LEFT}" y1="{plot_bottom}" x2="{WIDTH - _RIGHT}" y2="{plot_bottom}" '
        f'class="baseline"/>{body}{labels}</svg>'
    )


def _slot(count: int) -> float:
    return (WIDTH - _LEFT - _RIGHT) / max(count, 1)


def bar_chart(
    chart_id: str,
    title: str,
    days: Sequence[date],
    values: Sequence[float],
    fmt: Callable[[float], str],
) -> Markup:
    """One bar per day, scaled to the largest value; each bar's tooltip gives day and value."""
    top = max(values, default=0.0) or 1.0
    slot, height = _slot(len(days)), HEIGHT - _TOP - _BOTTOM
    bars = []
    for n, (day, value) in enumerate(zip(days, values, strict=True)):
        bar_height = height * value / top
        x, y = _LEFT + n * slot + slot * 0.1, _TOP + height - bar_height
        bars.append(
            f'<rect class="bar" data-day="{day.isoformat()}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.8:.1f}" height="{bar_height:.1f}">'
            f"<title>{escape(day.isoformat())}: {escape(fmt(value))}</title></rect>"
        )
    return _frame(chart_id, title, fmt(max(values, default=0.0)), days, "".join(bars))


def share_chart(chart_id: str, title: str, days: Sequence[date], shares: Sequence[float]) -> Markup:
    """A line of a 0..1 share, one point per day."""
    slot, height = _slot(len(days)), HEIGHT - _TOP - _BOTTOM
    coords = [
        (_LEFT + n * slot + slot / 2, _TOP + height * (1 - min(max(share, 0.0), 1.0)))
        for n, share in enumerate(shares)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    points = "".join(
        f'<circle class="point" data-day="{day.isoformat()}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
        f"<title>{escape(day.isoformat())}: {share:.0%}</title></circle>"
        for day, share, (x, y) in zip(days, shares, coords, strict=True)
    )
    body = f'<polyline class="line" points="{line}"/>{points}' if coords else ""
    return _frame(chart_id, title, "100%", days, body)

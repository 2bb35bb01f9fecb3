"""The ECharts options the pages share, built from the daily figures: attempts per day (allowed and denied
stacked, the denial rate on a second axis) and denials by rule (with the article). Options are plain dicts,
serialised into a `data-chart` attribute and drawn by console.js."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collectguard.console.reads.rules import Cited
from collectguard.console.web import Viewer
from collectguard.gate.daily import Totals

ALLOWED, DENIED, RATE = "#2b8a3e", "#c92a2a", "#f08c00"


def rate(t: Totals) -> float:
    """The denial rate in percent, one decimal (0 without attempts)."""
    return round(100 * t.denied / t.attempts, 1) if t.attempts else 0.0


def daily(v: Viewer, days: Sequence[Totals]) -> dict[str, Any]:
    """Attempts per day (`Totals` keyed by date), allowed and denied stacked, the denial rate as a line."""
    allowed, denied, share = v.L("获准", "Allowed"), v.L("被拒", "Denied"), v.L("拒绝率 %", "Denial rate %")
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"data": [allowed, denied, share], "top": 0},
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [t.key.strftime("%m-%d") for t in days]},
        "yAxis": [{"type": "value", "name": v.L("次数", "attempts"), "minInterval": 1},
                  {"type": "value", "name": "%", "max": 100, "splitLine": {"show": False}}],
        "series": [
            {"name": allowed, "type": "bar", "stack": "a", "data": [t.allowed for t in days], "color": ALLOWED},
            {"name": denied, "type": "bar", "stack": "a", "data": [t.denied for t in days], "color": DENIED},
            {"name": share, "type": "line", "yAxisIndex": 1, "data": [rate(t) for t in days], "color": RATE,
             "symbolSize": 4},
        ],
    }


def by_rule(v: Viewer, rules: Sequence[tuple[Cited, int]], top: int = 12) -> dict[str, Any]:
    """Denials per failing rule, the most at the top of a horizontal bar chart, labelled with the article."""
    shown = list(reversed(rules[:top]))
    labels = [f"{c.rule}（{c.article}）" if c.article else c.rule for c, _ in shown]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": labels, "axisLabel": {"fontSize": 11}},
        "series": [{"name": v.L("被拒次数", "Denials"), "type": "bar", "data": [n for _, n in shown],
                    "color": DENIED, "label": {"show": True, "position": "right"}}],
    }


def height(rules: Sequence[object], top: int = 12) -> int:
    """A by-rule chart's height in pixels for its number of bars."""
    return max(160, 28 * min(len(rules), top) + 40)

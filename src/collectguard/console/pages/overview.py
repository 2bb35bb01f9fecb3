"""总览 The overview: what the gate allowed and denied today and over 30 days — by rule, agency and channel —,
QA findings per 1,000 calls, contacts made against a deny, and the overdue obligations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import overview as reads
from collectguard.gate.daily import Totals

router = APIRouter()
BENCH_PAGES = ["/"]
CHANNELS = {"voice": ("电话", "Voice"), "sms": ("短信", "SMS"), "5g_message": ("5G 消息", "5G message"),
            "email": ("电子邮件", "E-mail"), "im": ("即时通讯", "IM"), "video": ("视频", "Video"),
            "letter": ("信函", "Letter"), "visit": ("上门", "Visit")}
ALLOWED_COLOUR, DENIED_COLOUR, RATE_COLOUR = "#2b8a3e", "#c92a2a", "#f08c00"


@router.get("/")
async def overview(request: Request, v: web.Signed) -> Response:
    if not v.can(Permission.GATE_READ):  # an agency's own admin keeps its staff, and sees no institution's figures
        return web.redirect(f"{web.PREFIX}/collectors", request)

    def read() -> reads.Overview:
        with web.units_of(request).read() as session:
            return reads.overview(session, v.institution, web.now_of(request), v.orgs)

    data = await run_in_threadpool(read)
    return web.render(request, "overview.html", {
        "o": data, "channels": CHANNELS,
        "charts": {"daily": _daily_chart(v, data.per_day), "rules": _rules_chart(v, data.by_rule),
                   "orgs": _orgs_chart(v, data.by_org), "channels": _channels_chart(v, data.by_channel)}}, v=v)


def _rate(t: Totals) -> float:
    return round(100 * t.denied / t.attempts, 1) if t.attempts else 0.0


def _legend(*names: str) -> dict[str, Any]:
    return {"data": list(names), "top": 0}


def _daily_chart(v: web.Viewer, days: list[Totals]) -> dict[str, Any]:
    allowed, denied, rate = v.L("获准", "Allowed"), v.L("被拒", "Denied"), v.L("拒绝率 %", "Denial rate %")
    return {
        "tooltip": {"trigger": "axis"}, "legend": _legend(allowed, denied, rate),
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [t.key.strftime("%m-%d") for t in days]},
        "yAxis": [{"type": "value", "name": v.L("次数", "attempts")},
                  {"type": "value", "name": "%", "max": 100, "splitLine": {"show": False}}],
        "series": [
            {"name": allowed, "type": "bar", "stack": "a", "data": [t.allowed for t in days], "color": ALLOWED_COLOUR},
            {"name": denied, "type": "bar", "stack": "a", "data": [t.denied for t in days], "color": DENIED_COLOUR},
            {"name": rate, "type": "line", "yAxisIndex": 1, "data": [_rate(t) for t in days], "color": RATE_COLOUR,
             "symbolSize": 4},
        ],
    }


def _rules_chart(v: web.Viewer, rules: list[reads.RuleRow]) -> dict[str, Any]:
    top = list(reversed(rules[:12]))  # the largest at the top of a horizontal bar chart
    labels = [f"{r.cited.rule}（{r.cited.article}）" if r.cited.article else r.cited.rule for r in top]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value"}, "yAxis": {"type": "category", "data": labels, "axisLabel": {"fontSize": 11}},
        "series": [{"name": v.L("被拒次数", "Denials"), "type": "bar", "data": [r.n for r in top],
                    "color": DENIED_COLOUR, "label": {"show": True, "position": "right"}}],
    }


def _orgs_chart(v: web.Viewer, orgs: list[tuple[str, str, Totals]]) -> dict[str, Any]:
    allowed, denied, rate = v.L("获准", "Allowed"), v.L("被拒", "Denied"), v.L("拒绝率 %", "Denial rate %")
    return {
        "tooltip": {"trigger": "axis"}, "legend": _legend(allowed, denied, rate),
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 40},
        "xAxis": {"type": "category", "data": [name for _, name, _ in orgs],
                  "axisLabel": {"interval": 0, "fontSize": 11}},
        "yAxis": [{"type": "value"}, {"type": "value", "name": "%", "max": 100, "splitLine": {"show": False}}],
        "series": [
            {"name": allowed, "type": "bar", "data": [t.allowed for _, _, t in orgs], "color": ALLOWED_COLOUR},
            {"name": denied, "type": "bar", "data": [t.denied for _, _, t in orgs], "color": DENIED_COLOUR},
            {"name": rate, "type": "line", "yAxisIndex": 1, "data": [_rate(t) for _, _, t in orgs],
             "color": RATE_COLOUR},
        ],
    }


def _channels_chart(v: web.Viewer, channels: list[Totals]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [{"name": v.L("渠道", "Channel"), "type": "pie", "radius": ["38%", "68%"], "center": ["50%", "45%"],
                    "data": [{"name": v.L(*CHANNELS.get(t.key, (t.key, t.key))), "value": t.attempts}
                             for t in channels],
                    "label": {"formatter": "{b}\n{d}%"}}],
    }

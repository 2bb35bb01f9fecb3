"""总览 The overview: what the gate allowed and denied today and over 30 days — by rule, agency and channel —,
QA findings per 1,000 calls, contacts made against a deny, and the overdue obligations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import charts, web
from collectguard.console.reads import overview as reads
from collectguard.gate.daily import Totals

router = APIRouter()
BENCH_PAGES = ["/"]
CHANNELS = web.CHANNELS


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
        "charts": {"daily": charts.daily(v, data.per_day), "rules": charts.by_rule(v, data.by_rule),
                   "orgs": _orgs_chart(v, data.by_org), "channels": _channels_chart(v, data.by_channel)}}, v=v)


def _legend(*names: str) -> dict[str, Any]:
    return {"data": list(names), "top": 0}


def _orgs_chart(v: web.Viewer, orgs: list[tuple[str, str, Totals]]) -> dict[str, Any]:
    allowed, denied, rate = v.L("获准", "Allowed"), v.L("被拒", "Denied"), v.L("拒绝率 %", "Denial rate %")
    return {
        "tooltip": {"trigger": "axis"}, "legend": _legend(allowed, denied, rate),
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 56},
        "xAxis": {"type": "category", "data": [name for _, name, _ in orgs],
                  "axisLabel": {"interval": 0, "fontSize": 11, "width": 96, "overflow": "break"}},
        "yAxis": [{"type": "value"}, {"type": "value", "name": "%", "max": 100, "splitLine": {"show": False}}],
        "series": [
            {"name": allowed, "type": "bar", "data": [t.allowed for _, _, t in orgs], "color": charts.ALLOWED},
            {"name": denied, "type": "bar", "data": [t.denied for _, _, t in orgs], "color": charts.DENIED},
            {"name": rate, "type": "line", "yAxisIndex": 1, "data": [charts.rate(t) for _, _, t in orgs],
             "color": charts.RATE},
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

"""总览 The overview: what the gate allowed and denied today and over 30 days, and why; what is overdue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from collectguard.console import web

router = APIRouter()
BENCH_PAGES = ["/"]


@router.get("/")
async def overview(request: Request, v: web.Signed) -> Response:
    return web.render(request, "overview.html", {}, v=v)

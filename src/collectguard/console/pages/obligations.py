"""义务日历 The obligations calendar (arts. 6, 12, 17, 18): the same computation as GET /v1/obligations, as a month of
days (`?month=YYYY-MM`) or a list (`?view=list`: sorted by status, due date, obligation or subject; filtered by
status and agency; paged). An agency operator sees its own agency's items only, as the API shows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import obligations as reads

router = APIRouter()
BENCH_PAGES = ["/obligations", "/obligations?view=list"]
Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.OVERSIGHT_READ))]


def _read(request: Request, v: web.Viewer, t: web.Table, first: str | None, view: str) -> dict[str, Any]:
    with web.units_of(request).read() as session:
        cal = reads.read(session, v.institution, web.now_of(request), agency=v.agency,
                         status=t.filters.get("status"), agency_filter=t.filters.get("agency"), text=t.q,
                         due=t.filters.get("due"))
    ctx: dict[str, Any] = {"cal": cal, "t": t, "view": view, "kinds": reads.SUBJECT_KINDS,
                           "statuses": reads.STATUSES, "ledger": v.can(Permission.LEDGER_READ)}
    if view == "list":
        rows = reads.ordered(cal.items, t.sort, t.desc)
        ctx.update(rows=rows[t.offset:t.offset + t.size], total=len(rows))
    else:
        month = reads.month(cal.items, reads.parse_month(first, cal.day), cal.day)
        ctx.update(month=month, month_counts=reads.in_month(cal.items, month.first),
                   overdue=reads.ordered([i for i in cal.items if i.status == "overdue"], "due", False))
    return ctx


@router.get("/obligations")
async def obligations(request: Request, v: Reader, view: str = "month", month: str | None = None) -> Response:
    view = "list" if view == "list" else "month"
    t = web.Table.of(request, sorts=reads.SORTS, default_sort="status", filters=["status", "agency", "view", "due"],
                     size=50)
    ctx = await run_in_threadpool(_read, request, v, t, month, view)
    return web.render(request, "obligations.html", ctx, v=v)

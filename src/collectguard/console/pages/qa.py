"""质检 Quality inspection (art. 12(三)): the findings recorded for inspected calls (paged, filtered, per rule, per
1,000 connected calls), one call's transcript with the matched words highlighted, and the templates waiting for
approval with their review findings — approved or rejected here by a role with template:approve, through the same
service function as the API (templates.service.decide)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import qa
from collectguard.errors import Forbidden
from collectguard.templates import repository as templates_repo
from collectguard.templates import service as templates
from collectguard.templates.schemas import TemplateApprovalIn

router = APIRouter()
# /qa/templates is not timed: an agency operator (the bench signs one in) may not read templates (403)
BENCH_PAGES = ["/qa", "/qa?severity=critical", "/qa?collector={collector}"]
WINDOW_DAYS = 30
LONGEST_DAYS = 366
SEVERITY_COLOURS = {"critical": "#c92a2a", "major": "#f08c00", "minor": "#868e96"}

Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.GATE_READ))]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filters_of(t: web.Table, today: date) -> qa.Filters:
    """The table's filters checked: a period of at most a year ending today by default (the last 30 days)."""
    f = t.filters
    last = _day(f.get("to")) or today
    first = _day(f.get("from")) or last - timedelta(days=WINDOW_DAYS - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=LONGEST_DAYS - 1))
    severity = f.get("severity") if f.get("severity") in qa.SEVERITIES else None
    category = f.get("category") if f.get("category") in qa.CATEGORY_EN else None
    rule = f.get("rule") if f.get("rule") in qa.RULES else None
    return qa.Filters(first=first, last=last, rule=rule, category=category, severity=severity,
                      agency=f.get("agency") or None, collector=f.get("collector") or None)


def _chart(rows: list[qa.RuleSeverity], lang: str) -> dict[str, Any]:
    """A horizontal bar per category (with its rule id), stacked by severity."""
    keys: list[tuple[str, str]] = []
    for r in rows:
        if (r.category, r.rule) not in keys:
            keys.append((r.category, r.rule))
    counts = {(r.category, r.rule, r.severity): r.n for r in rows}
    series = [{"name": qa.severity_name(s, lang), "type": "bar", "stack": "n", "barMaxWidth": 22,
               "itemStyle": {"color": SEVERITY_COLOURS[s]},
               "data": [counts.get((c, rule, s), 0) for c, rule in keys]}
              for s in qa.SEVERITIES if any(r.severity == s for r in rows)]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 130, "right": 24, "top": 32, "bottom": 24},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "axisLabel": {"width": 120, "overflow": "truncate"},
                  "data": [qa.category_name(c, lang) for c, _ in keys]},
        "series": series,
    }


def _list(request: Request, v: web.Viewer, t: web.Table) -> dict[str, Any]:
    with web.units_of(request).read() as session:
        today = qa.today(session, v.institution, web.now_of(request))
        f = filters_of(t, today)
        rows = qa.findings(session, v.institution, v.orgs, f, sort=t.sort, desc=t.desc, limit=t.size,
                           offset=t.offset)
        # one grouped count under the period, organisation and collector: the rate's numerator; the rule, category
        # and severity filters then keep the chart's groups and the table's total
        groups = qa.by_rule(session, v.institution, v.orgs, qa.Filters(first=f.first, last=f.last, agency=f.agency,
                                                                         collector=f.collector))
        orgs = [f.agency] if f.agency else v.orgs
        if f.agency and v.orgs is not None and f.agency not in v.orgs:
            orgs = []
        calls = qa.calls(session, v.institution, f.first, f.last, orgs, f.collector)
        choices = qa.choices(session, v.institution, v.orgs, f.first, f.last)
    shown = qa.matching(groups, f)
    in_scope = sum(g.n for g in groups)
    return {"rows": rows, "total": sum(g.n for g in shown), "f": f, "today": today,
            "rules_chart": _chart(shown, v.lang), "has_chart": bool(shown), "in_scope": in_scope, "calls": calls,
            "per_1000": in_scope * 1000 / calls if calls else None, "choices": choices}


@router.get("/qa")
async def findings(request: Request, v: Reader) -> Response:
    t = web.Table.of(request, sorts=list(qa.SORTS), default_sort="day", default_desc=True,
                     filters=["rule", "category", "severity", "agency", "collector", "from", "to"])
    data = await run_in_threadpool(_list, request, v, t)
    return web.render(request, "qa.html", {"t": t, "qa": qa, **data}, v=v)


def _call(request: Request, v: web.Viewer, finding_id: int) -> qa.CallView:
    with web.units_of(request).read() as session:
        return qa.finding_call(session, v.principal, v.orgs, finding_id, web.now_of(request))


@router.get("/qa/findings/{finding_id}")
async def finding(request: Request, finding_id: int, v: Reader) -> Response:
    view = await run_in_threadpool(_call, request, v, finding_id)
    marked = [web.markup(turn.html) for turn in view.turns]  # qa.highlight escaped every character of the text
    return web.render(request, "qa_call.html", {"c": view, "qa": qa, "marked": marked}, v=v)


# -- templates awaiting approval ----------------------------------------------------------------------------------
def _institution_only(v: web.Viewer) -> None:
    """Templates are the institution's own business: an agency never reads them (as over the API, art. 20(三))."""
    if v.agency is not None or not v.institution:
        raise Forbidden("催收机构无权查看话术模板", "an agency may not read templates (minimum necessary, art. 20(三))")


def _pending(request: Request, v: web.Viewer) -> list[qa.Pending]:
    with web.units_of(request).read() as session:
        return qa.pending_templates(session, v.institution)


@router.get("/qa/templates")
async def pending(request: Request, v: Annotated[web.Viewer, Depends(web.allowed(Permission.REGISTRY_READ))]) -> Response:
    _institution_only(v)
    rows = await run_in_threadpool(_pending, request, v)
    decided = {k: request.query_params.get(k, "")[:200] for k in ("approved", "rejected")}
    return web.render(request, "qa_templates.html", {"rows": rows, "qa": qa, "decided": decided}, v=v)


def _decide(request: Request, v: web.Viewer, template_id: str, approved: bool, version: int) -> None:
    """As POST /v1/templates/{id}/approve|reject: the version reviewed must still be the current one and pending;
    a refusal by the review checks is committed (it is part of the record) before its 409 page is shown."""
    with web.units_of(request).write(web.now_of(request)) as unit:
        templates_repo.own(unit.session, v.principal, template_id)  # another tenant's template is not found
        event = templates.decide(unit, TemplateApprovalIn(template=template_id, approved=approved, version=version),
                                 pending_only=True)
    refused = templates.refusal(event)
    if refused is not None:
        raise refused


Approver = Annotated[web.Viewer, Depends(web.acting(Permission.TEMPLATE_APPROVE))]


@router.post("/qa/templates/{template_id}/approve")
async def approve(request: Request, template_id: str, v: Approver, version: Annotated[int, Form()]) -> Response:
    _institution_only(v)
    await run_in_threadpool(_decide, request, v, template_id, True, version)
    return web.redirect(f"{web.PREFIX}/qa/templates?approved={web.quote(template_id, safe='')}", request)


@router.post("/qa/templates/{template_id}/reject")
async def reject(request: Request, template_id: str, v: Approver, version: Annotated[int, Form()]) -> Response:
    _institution_only(v)
    await run_in_threadpool(_decide, request, v, template_id, False, version)
    return web.redirect(f"{web.PREFIX}/qa/templates?rejected={web.quote(template_id, safe='')}", request)

"""投诉 Complaints (arts. 22, 23, 27): the institution's complaints — filtered by status, channel, agency, overdue
and flagged, sorted, paged — with each one's answer countdown, proxy warning and anti-collection signals, 30 days
per channel and the root causes by rule; one complaint's page with its timeline (ledger seqs), masked complainant
data, recusal, root cause and signals, and the forms that move it on — verify, assign an investigator, extend the
deadline (a reason required), resolve with a root cause — through the same service functions as the API; and an
agency's periodic complaint report (art. 22), generated from the records and submitted to the institution.

Changing a complaint needs `oversight:write` (the institution's admin and compliance officer) and the session's
CSRF token; an auditor sees no form and its POST is refused. An agency-bound viewer sees the complaints about its
agency only (another's is not found) and none of the complainant's data; it may submit its own agency's report
(`oversight:report`). A refusal (409 naming the rules, e.g. a recused investigator) or a form the models refuse
(422) re-renders the page with the reasons; nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from collectguard.agencies import repository as agency_repo
from collectguard.auth.roles import Permission
from collectguard.complaints import report as reports
from collectguard.complaints import service
from collectguard.complaints.schemas import (
    ComplaintAssignIn,
    ComplaintExtendIn,
    ComplaintResolvedIn,
    ComplaintVerifyIn,
)
from collectguard.complaints.signals import Signal
from collectguard.console import charts, web
from collectguard.console.reads import complaints as reads
from collectguard.errors import CollectGuardError, Conflict, InvalidInput, NotFound
from collectguard.registry.unit import Unit

router = APIRouter()
BENCH_PAGES = ["/complaints", "/complaints?overdue=yes", "/complaints/report"]

Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.OVERSIGHT_READ))]
Actor = Annotated[web.Viewer, Depends(web.acting(Permission.OVERSIGHT_WRITE))]
Reporter = Annotated[web.Viewer, Depends(web.acting(Permission.AGENCY_REPORT))]
ComplaintId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]

STATUS = {"registered": ("已登记", "Registered"), "verified": ("已核实", "Verified"),
          "investigating": ("调查中", "Investigating"), "resolved": ("已办结", "Resolved")}
CHANNELS = {"phone": ("电话", "Phone"), "email": ("电子邮件", "E-mail"), "letter": ("信函", "Letter"),
            "web": ("网页表单", "Web form"), "regulator": ("监管转办", "Regulator referral")}
CHANNEL_COLOURS = {"phone": "#1c7ed6", "email": "#7048e8", "letter": "#f08c00", "web": "#2b8a3e",
                   "regulator": "#c92a2a"}
STEPS = {"registered": ("登记", "Registered"), "proxy_warned": ("提示代理投诉人", "Proxy warned"),
         "verified": ("核实", "Verified"), "extended": ("延长期限", "Deadline extended"),
         "assigned": ("指定调查人", "Investigator named"), "resolved": ("告知结果", "Result told")}
SIGNALS = {str(k): v for k, v in Signal.LABEL.items()}  # the signals' names (complaints.signals)
REVIEW = {"open": ("待复核", "to review"), "confirmed": ("已确认", "confirmed"), "dismissed": ("已排除", "dismissed")}
RULES = {"art22-recusal": ("被投诉的催收员须回避", "the collector complained about stays out"),
         "art22-institution-handles": ("投诉针对合作机构，由机构自行调查", "about the agency: the institution investigates")}
DONE = {"verify": ("已核实", "Verified"), "assign": ("已指定调查人", "Investigator named"),
        "extend": ("答复期限已延长", "Deadline extended"), "resolve": ("已办结并告知结果", "Resolved, result told"),
        "report": ("报告已提交", "Report submitted")}
NAMES = {"status_names": STATUS, "channel_names": CHANNELS, "step_names": STEPS, "signal_names": SIGNALS,
         "rule_names": RULES, "review_names": REVIEW}


def _orgs(v: web.Viewer) -> tuple[str, ...] | None:
    return v.orgs if v.agency is not None else None


def _can_act(v: web.Viewer) -> bool:
    return v.can(Permission.OVERSIGHT_WRITE) and v.agency is None


# == the list =====================================================================================================
@router.get("/complaints")
async def complaint_list(request: Request, v: Reader) -> Response:
    t = web.Table.of(request, sorts=reads.SORTS, default_sort="due", filters=list(reads.FILTERS))
    found = await run_in_threadpool(_list, request, v, t)
    return web.render(request, "complaints.html", {
        "t": t, "page": found, "statuses": reads.STATUSES, "channels": reads.CHANNELS, "soon": reads.SOON,
        "charts": {"daily": _daily_chart(v, found.per_day), "causes": _causes_chart(v, found.causes),
                   "causes_height": charts.height(found.causes)}, **NAMES}, v=v)


def _list(request: Request, v: web.Viewer, t: web.Table) -> reads.Listing:
    with web.units_of(request).read() as session:
        return reads.listing(session, v.principal, _orgs(v), web.now_of(request), filters=t.filters, q=t.q,
                             sort=t.sort, desc=t.desc, limit=t.size, offset=t.offset)


def _daily_chart(v: web.Viewer, per_day: list[tuple[date, dict[str, int]]]) -> dict[str, Any]:
    """Complaints registered per day over 30 days, one stacked bar per channel."""
    names = {ch: v.L(*CHANNELS[ch]) for ch in reads.CHANNELS}
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"data": list(names.values()), "top": 0},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [d.strftime("%m-%d") for d, _ in per_day]},
        "yAxis": {"type": "value", "name": v.L("件", "complaints"), "minInterval": 1},
        "series": [{"name": names[ch], "type": "bar", "stack": "c", "color": CHANNEL_COLOURS[ch],
                    "data": [counts.get(ch, 0) for _, counts in per_day]} for ch in reads.CHANNELS],
    }


def _causes_chart(v: web.Viewer, causes: list[tuple[Any, int]]) -> dict[str, Any]:
    option = charts.by_rule(v, causes)
    option["series"][0]["name"] = v.L("查实投诉", "Substantiated complaints")
    option["series"][0]["color"] = charts.RATE
    return option


# == the agency's report ==========================================================================================
def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/complaints/report")
async def agency_report(request: Request, v: Reader) -> Response:
    return await _report_page(request, v)


async def _report_page(request: Request, v: web.Viewer, *, error: CollectGuardError | None = None,
                       notice: tuple[str, str] | None = None, status: int = 200) -> Response:
    params = request.query_params
    ctx = await run_in_threadpool(_report, request, v, params.get("agency") or v.agency or "",
                                  _day(params.get("from")), _day(params.get("to")))
    done = params.get("done")
    return web.render(request, "complaints_report.html", {
        **ctx, "error": error, "notice": notice or DONE.get(done or ""), "can_submit": v.can(Permission.AGENCY_REPORT),
        "answers_chart": _report_chart(v, ctx["report"]) if ctx.get("report") else None, **NAMES}, v=v, status=status)


def _report(request: Request, v: web.Viewer, agency: str, first: date | None, last: date | None) -> dict[str, Any]:
    now = web.now_of(request)
    with web.units_of(request).read() as session:
        choices = reads.agency_choices(session, v.principal, _orgs(v))
        today = reads.today_of(session, v.institution, now)
        last = last or today
        first = first or last - timedelta(days=29)
        ctx: dict[str, Any] = {"agencies": choices, "agency": agency, "first": first, "last": last, "report": None,
                               "submitted": [], "period_error": None}
        if not agency:
            return ctx
        try:
            agency_repo.visible(session, v.principal, agency, field="agency")
            reports.check_period(first, last)
        except InvalidInput as exc:
            ctx["period_error"] = exc
            return ctx
        ctx["report"] = reports.agency_report(session, v.institution, agency, first, last, at=now)
        ctx["submitted"] = reports.submitted(session, v.institution, [agency], limit=20)
        return ctx


def _report_chart(v: web.Viewer, r: reports.AgencyComplaintReport) -> dict[str, Any]:
    """The report's answers at a glance: on time, late, open, overdue."""
    parts = [(v.L("按期答复", "On time"), r.answered_on_time, charts.ALLOWED),
             (v.L("逾期答复", "Late"), r.answered_late, charts.RATE),
             (v.L("处理中", "Open"), r.open, "#1c7ed6"), (v.L("已逾期未答复", "Overdue"), r.overdue, charts.DENIED)]
    return {"tooltip": {"trigger": "item"}, "legend": {"bottom": 0},
            "series": [{"type": "pie", "radius": ["40%", "68%"], "label": {"formatter": "{b}: {c}"},
                        "data": [{"name": n, "value": x, "itemStyle": {"color": c}} for n, x, c in parts]}]}


@router.post("/complaints/report")
async def submit_report(request: Request, v: Reporter) -> Response:
    form = await request.form()
    agency = _text(form, "agency") or v.agency or ""
    first, last = _day(_text(form, "from")), _day(_text(form, "to"))

    def run() -> None:
        with web.units_of(request).write(web.now_of(request)) as unit:
            agency_repo.visible(unit.session, v.principal, agency, field="agency")
            if first is None or last is None:
                raise InvalidInput("请填写报告期间", "give the report's period", field="from")
            made = reports.agency_report(unit.session, v.institution, agency, first, last, at=unit.at)
            reports.submit(unit, made, by=v.principal.key_id, note=_text(form, "note"))

    try:
        await run_in_threadpool(run)
    except (Conflict, InvalidInput) as exc:
        return await _report_page(request, v, error=exc, status=exc.status)
    query = urlencode({"agency": agency, "from": first, "to": last, "done": "report"})
    return web.redirect(f"{web.PREFIX}/complaints/report?{query}", request)


# == one complaint ================================================================================================
@router.get("/complaints/{complaint_id}")
async def complaint(request: Request, complaint_id: ComplaintId, v: Reader) -> Response:
    return await _page(request, v, complaint_id, notice=DONE.get(request.query_params.get("done") or ""))


async def _page(request: Request, v: web.Viewer, complaint_id: str, *, error: CollectGuardError | None = None,
                notice: tuple[str, str] | None = None, status: int = 200) -> Response:
    page = await run_in_threadpool(_detail, request, v, complaint_id)
    return web.render(request, "complaints_detail.html", {
        "d": page, "c": page.c, "error": error, "notice": notice, "can_act": _can_act(v),
        "rules": reads.rule_choices() if _can_act(v) else [], **NAMES}, v=v, status=status)


def _detail(request: Request, v: web.Viewer, complaint_id: str) -> reads.Detail:
    with web.units_of(request).read() as session:
        return reads.detail(session, v.principal, _orgs(v), complaint_id, web.now_of(request),
                            candidates=_can_act(v))


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _verify(unit: Unit, v: web.Viewer, cid: str, form: FormData) -> None:
    proxy = _text(form, "proxy_authorised")
    service.verify(unit, ComplaintVerifyIn.model_validate({
        "complaint": cid, "proxy_authorised": True if proxy == "yes" else None, "note": _text(form, "note")}),
        institution=v.institution, actor=v.username)


def _assign(unit: Unit, v: web.Viewer, cid: str, form: FormData) -> None:
    service.assign(unit, ComplaintAssignIn.model_validate({"complaint": cid, "investigator": _text(form,
                                                                                                  "investigator")}),
                   institution=v.institution, actor=v.username)


def _extend(unit: Unit, v: web.Viewer, cid: str, form: FormData) -> None:
    if not _text(form, "reason"):
        raise InvalidInput("延期须说明理由", "an extension needs a reason", field="reason")
    service.extend(unit, ComplaintExtendIn.model_validate({"complaint": cid, "due_date": _text(form, "due_date"),
                                                           "reason": _text(form, "reason")}),
                   institution=v.institution, actor=v.username)


def _resolve(unit: Unit, v: web.Viewer, cid: str, form: FormData) -> None:
    rule, words = _text(form, "rule"), _text(form, "root_cause")
    cause = " ".join(x for x in (rule, words) if x) or None
    service.resolve(unit, ComplaintResolvedIn.model_validate({"complaint": cid, "root_cause": cause,
                                                              "result": _text(form, "result")}),
                    institution=v.institution, actor=v.username)


async def _act(request: Request, v: web.Viewer, cid: str, done: str,
               change: Callable[[Unit, web.Viewer, str, FormData], None]) -> Response:
    """Run `change` in one unit; on success back to the complaint's page, else the page again with the reasons."""
    if v.agency is not None:  # the institution handles complaints; an agency never acts on them here
        raise NotFound("complaint", cid, field="id")
    form = await request.form()

    def run() -> None:
        with web.units_of(request).write(web.now_of(request)) as unit:
            reads.visible(unit.session, v.principal, None, cid)
            change(unit, v, cid, form)

    async def again(error: CollectGuardError, status: int) -> Response:
        return await _page(request, v, cid, error=error, status=status)

    return await web.act(request, run, again, lambda _: f"{web.PREFIX}/complaints/{web.quote(cid, safe='')}?done={done}")


@router.post("/complaints/{complaint_id}/verify")
async def verify(request: Request, complaint_id: ComplaintId, v: Actor) -> Response:
    return await _act(request, v, complaint_id, "verify", _verify)


@router.post("/complaints/{complaint_id}/assign")
async def assign(request: Request, complaint_id: ComplaintId, v: Actor) -> Response:
    return await _act(request, v, complaint_id, "assign", _assign)


@router.post("/complaints/{complaint_id}/extend")
async def extend(request: Request, complaint_id: ComplaintId, v: Actor) -> Response:
    return await _act(request, v, complaint_id, "extend", _extend)


@router.post("/complaints/{complaint_id}/resolve")
async def resolve(request: Request, complaint_id: ComplaintId, v: Actor) -> Response:
    return await _act(request, v, complaint_id, "resolve", _resolve)

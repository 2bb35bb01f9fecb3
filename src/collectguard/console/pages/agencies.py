"""机构 Agencies: the institution's name list, one agency's page (lifecycle, records, figures), and the oversight
actions on it — evaluate, list or delist, suspend or reactivate, order rectification, mark an order done,
terminate — through the same service functions as the API (oversight/endpoints.py, agencies/endpoints.py).

Every action is a POST form with the session's CSRF token and a confirmation, allowed to `oversight:write` only
(an auditor or an agency operator sees no form, and its POST is refused). A refusal (409 naming the rules, with
their articles) or a form the models refuse (422) re-renders the agency's page with the reasons in an alert; the
change is not made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import entrusts
from collectguard.console import charts, web
from collectguard.console.reads import agencies as reads
from collectguard.console.reads import complaints as complaint_reads
from collectguard.console.reads import rules
from collectguard.errors import CollectGuardError, InvalidInput, NotFound
from collectguard.oversight import models as om
from collectguard.oversight import service
from collectguard.oversight.schemas import (
    CRITERIA,
    EvaluationIn,
    EvaluationKind,
    ListingIn,
    RectificationDoneIn,
    RectificationOrderIn,
    RectificationReason,
    TerminationIn,
    TerminationReason,
)
from collectguard.registry import models as m
from collectguard.registry.ids import new_id
from collectguard.registry.unit import Unit
from collectguard.rulebook.vocabulary import ListingStatus

router = APIRouter()
BENCH_PAGES = ["/agencies", "/agencies?sort=attempts&order=desc", "/agencies/{agency}"]

Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.OVERSIGHT_READ))]
Actor = Annotated[web.Viewer, Depends(web.acting(Permission.OVERSIGHT_WRITE))]
AgencyId = Annotated[str, Path(min_length=1, max_length=64)]

STATUS_NAMES = {
    "listed": ("已列入", "Listed"), "rectifying": ("整改暂停", "Rectifying (stopped)"),
    "suspended": ("已暂停", "Suspended"), "delisted": ("已移出", "Delisted"), "terminated": ("已终止", "Terminated"),
    "applied": ("未列入", "Not listed"), "subcontractor": ("转委托机构", "Subcontractor"),
}
STAGE_NAMES = {
    "applied": ("已申请（有协议，未评估）", "Applied (agreement, not evaluated)"),
    "evaluated": ("已评估（承诺未齐）", "Evaluated (commitments missing)"),
    "committed": ("已评估并承诺（可列入）", "Evaluated and committed (may be listed)"),
    "listed": ("已列入名单", "On the name list"), "rectification": ("整改中，暂停催收", "Rectifying, collection stopped"),
    "suspended": ("已暂停", "Suspended"), "delisted": ("已移出名单", "Delisted"), "terminated": ("已终止委托", "Terminated"),
}
KIND_NAMES = {
    "admission": ("准入评估", "Admission"), "annual": ("年度评估", "Annual"), "pre_expiry": ("到期前评估", "Pre-expiry"),
    "self": ("自查", "Self-inspection"), "agency_scheduled": ("定期检查", "Scheduled"),
    "agency_surprise": ("突击检查", "Surprise"),
}
CRITERION_NAMES = {
    "licence": ("依法设立及资质", "Licence"), "lawful_operation": ("合法经营", "Lawful operation"),
    "going_concern": ("持续经营能力", "Going concern"), "internal_control": ("内部控制", "Internal control"),
    "professional_capability": ("专业能力", "Professional capability"),
    "information_security": ("信息安全", "Information security"),
    "premises_equipment": ("场所与设备", "Premises and equipment"),
    "social_responsibility": ("社会责任", "Social responsibility"), "reputation": ("声誉", "Reputation"),
    "compliance": ("合规情况", "Compliance"), "task_quality": ("任务质量", "Task quality"),
    "records": ("记录完整", "Records"), "complaints": ("投诉情况", "Complaints"),
}
COMMITMENT_NAMES = {"no_subcontracting": ("不违规转委托", "No unauthorised subcontracting"),
                    "confidentiality": ("个人信息保密", "Confidentiality"),
                    "accept_inspection": ("接受机构及监管检查", "Accepting inspections")}
REASON_NAMES = {
    "illegal_collection": ("涉嫌违法违规催收", "Suspected illegal collection"),
    "pi_incident": ("个人信息泄露、丢失、篡改", "Personal information leaked, lost or altered"),
    "consumer_harm": ("损害消费者权益", "Harm to consumers' rights"),
    "serious_illegal_collection": ("严重违法违规催收", "Serious illegal collection"),
    "serious_pi_leak": ("严重个人信息泄露", "Serious personal information leak"),
    "rectification_failed": ("整改不到位", "Rectification failed"), "serious_harm": ("严重损害消费者权益", "Serious harm"),
    "other": ("其他", "Other"),
}
DONE = {  # ?done=… after an action: what the page says
    "evaluate": ("评估已记录", "The evaluation is recorded"), "list": ("已列入名单", "The agency is listed"),
    "delist": ("已移出名单", "The agency is delisted"), "suspend": ("已暂停", "The agency is suspended"),
    "reactivate": ("已恢复", "The agency is reactivated"), "rectify": ("整改单已下达", "The order is issued"),
    "order-done": ("整改已完成", "The order is done"), "terminate": ("已终止委托", "The agency is terminated"),
}
NAMES = {"status_names": STATUS_NAMES, "stage_names": STAGE_NAMES, "kind_names": KIND_NAMES,
         "criterion_names": CRITERION_NAMES, "commitment_names": COMMITMENT_NAMES, "reason_names": REASON_NAMES}


# == the name list ================================================================================================
@router.get("/agencies")
async def name_list(request: Request, v: Reader) -> Response:
    t = web.Table.of(request, sorts=reads.SORTS, default_sort="name", filters=["status"])
    rows, total, today, zone = await run_in_threadpool(_name_list, request, v.principal, t)
    return web.render(request, "agencies.html", {"t": t, "rows": rows, "total": total, "today": today, "zone": zone,
                                                 "statuses": reads.STATUSES, **NAMES}, v=v)


def _name_list(request: Request, p: Principal, t: web.Table) -> tuple[list[reads.Row], int, date, str]:
    with web.units_of(request).read() as session:
        return reads.name_list(session, p, web.now_of(request), sort=t.sort, desc=t.desc,
                               status=t.filters.get("status"), q=t.q, limit=t.size, offset=t.offset)


# == one agency ===================================================================================================
@router.get("/agencies/{agency_id}")
async def agency(request: Request, agency_id: AgencyId, v: Reader) -> Response:
    done = request.query_params.get("done")
    return await _page(request, v, agency_id, notice=DONE.get(done or ""))


async def _page(request: Request, v: web.Viewer, agency_id: str, *, error: CollectGuardError | None = None,
                notice: tuple[str, str] | None = None, status: int = 200) -> Response:
    page = await run_in_threadpool(_agency_page, request, v.principal, agency_id)
    complaints = await run_in_threadpool(_complaints, request, v.principal, agency_id)
    return web.render(request, "agencies_page.html", {
        "page": page, "error": error, "notice": notice, "charts": _charts(page, v), "complaints": complaints,
        "cited": [(rules.cite(rule), n) for rule, n in page.denials_by_rule[:12]], "can_act": v.can(
            Permission.OVERSIGHT_WRITE) and v.agency is None, "criteria": CRITERIA, "kinds": list(EvaluationKind),
        "order_reasons": list(RectificationReason), "termination_reasons": list(TerminationReason), **NAMES},
        v=v, status=status)


def _agency_page(request: Request, p: Principal, agency_id: str) -> reads.Page:
    with web.units_of(request).read() as session:
        return reads.agency_page(session, p, agency_id, web.now_of(request))


def _complaints(request: Request, p: Principal, agency_id: str) -> complaint_reads.Summary:
    """The complaints about the agency (its subcontractors and their collectors): console/reads/complaints.py."""
    with web.units_of(request).read() as session:
        return complaint_reads.summary(session, p, web.now_of(request), agency=agency_id)


def _charts(page: reads.Page, v: web.Viewer) -> dict[str, Any]:
    """ECharts options: attempts allowed and denied per day over 30 days, and denials by rule."""
    cited = [(rules.cite(rule), n) for rule, n in page.denials_by_rule]
    return {"daily": charts.daily(v, page.totals), "by_rule": charts.by_rule(v, cited),
            "rules_height": charts.height(cited)}


# == actions ======================================================================================================
def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _yes(form: FormData, name: str) -> bool:
    return _text(form, name) in ("yes", "true", "on", "1")


def _entrusted(unit: Unit, p: Principal, agency_id: str) -> None:
    """As the API: an agency the institution has an agreement with (or approved as a subcontractor)."""
    if not entrusts(unit.session, p.institution_id, agency_id, listing=False):
        raise NotFound("agency", agency_id, field="agency")


def _evaluate(unit: Unit, p: Principal, agency_id: str, form: FormData) -> None:
    row = unit.session.get(m.Agency, agency_id)
    if row is None or (row.registered_by != p.institution_id
                       and not entrusts(unit.session, p.institution_id, agency_id, listing=False)):
        raise NotFound("agency", agency_id, field="agency")
    kind = _text(form, "kind") or ""
    overall = _text(form, "overall")
    scores: dict[str, Any] = {}
    if kind in CRITERIA:
        for criterion in CRITERIA[EvaluationKind(kind)]:
            scores[criterion] = _text(form, f"score_{criterion}") or overall
    data = EvaluationIn.model_validate({
        "id": new_id("evaluation"), "institution": p.institution_id, "agency": agency_id, "kind": kind,
        "agreement": _text(form, "agreement"), "scores": {k: _int(v, k) for k, v in scores.items()},
        "passed": _yes(form, "passed"), "evaluator": _text(form, "evaluator"), "note": _text(form, "note")})
    service.evaluate(unit, data, suggested=service.suggested_grades(unit, data))


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(f"评分 {name} 须为 0–100 的整数", f"the score {name} must be a whole number 0–100",
                           field=f"score_{name}") from None


def _listing(unit: Unit, p: Principal, agency_id: str, form: FormData) -> str:
    _entrusted(unit, p, agency_id)
    action = _text(form, "action") or ""
    if action in ("list", "delist"):
        if action == "delist" and not _text(form, "note"):
            raise InvalidInput("移出名单须说明原因", "say why the agency is delisted", field="note")
        service.list_agency(unit, ListingIn.model_validate({
            "institution": p.institution_id, "agency": agency_id, "listed": action == "list",
            "note": _text(form, "note")}))
    elif action in ("suspend", "reactivate"):
        status = ListingStatus.SUSPENDED if action == "suspend" else ListingStatus.ACTIVE
        service.change_status(unit, AgencyStatusIn(institution=p.institution_id, agency=agency_id, status=status))
    else:
        raise InvalidInput("未知的名单操作", "unknown listing action", field="action")
    return action


def _rectify(unit: Unit, p: Principal, agency_id: str, form: FormData) -> None:
    _entrusted(unit, p, agency_id)
    inspection, finding = _text(form, "inspection"), _text(form, "finding")
    data = RectificationOrderIn.model_validate({
        "id": new_id("order"), "institution": p.institution_id, "agency": agency_id, "reason": _text(form, "reason"),
        "due": _text(form, "due"), "stop_collection": _yes(form, "stop_collection"), "inspection": inspection,
        "finding": int(finding) if finding and finding.isdigit() else None, "note": _text(form, "note")})
    service.order(unit, data)


def _order_done(unit: Unit, p: Principal, agency_id: str, form: FormData) -> None:
    order_id = _text(form, "order") or ""
    row = unit.session.get(om.RectificationOrder, order_id)
    if row is None or row.institution_id != p.institution_id or row.agency_id != agency_id:
        raise NotFound("rectification order", order_id, field="order")
    service.done(unit, RectificationDoneIn(order=order_id, note=_text(form, "note")), institution=p.institution_id)


def _terminate(unit: Unit, p: Principal, agency_id: str, form: FormData) -> None:
    _entrusted(unit, p, agency_id)
    service.terminate(unit, TerminationIn.model_validate({
        "institution": p.institution_id, "agency": agency_id, "reason": _text(form, "reason"),
        "note": _text(form, "note")}))


async def _act(request: Request, v: web.Viewer, agency_id: str, done: str,
               change: Callable[[Unit, Principal, str, FormData], str | None]) -> Response:
    """Run `change` in one unit; on success back to the agency's page, else the page again with the reasons."""
    if v.agency is not None:  # an agency-bound role never acts on the name list (none has oversight:write today)
        raise NotFound("agency", agency_id, field="id")
    form = await request.form()

    def run() -> str | None:
        with web.units_of(request).write(web.now_of(request)) as unit:
            reads.visible_agency(unit.session, v.principal, agency_id)
            return change(unit, v.principal, agency_id, form)

    async def again(error: CollectGuardError, status: int) -> Response:
        return await _page(request, v, agency_id, error=error, status=status)

    return await web.act(request, run, again,
                         lambda outcome: f"{web.PREFIX}/agencies/{web.quote(agency_id, safe='')}?done={outcome or done}")


@router.post("/agencies/{agency_id}/evaluate")
async def evaluate(request: Request, agency_id: AgencyId, v: Actor) -> Response:
    return await _act(request, v, agency_id, "evaluate", _evaluate)


@router.post("/agencies/{agency_id}/listing")
async def listing(request: Request, agency_id: AgencyId, v: Actor) -> Response:
    return await _act(request, v, agency_id, "list", _listing)


@router.post("/agencies/{agency_id}/rectify")
async def rectify(request: Request, agency_id: AgencyId, v: Actor) -> Response:
    return await _act(request, v, agency_id, "rectify", _rectify)


@router.post("/agencies/{agency_id}/order-done")
async def order_done(request: Request, agency_id: AgencyId, v: Actor) -> Response:
    return await _act(request, v, agency_id, "order-done", _order_done)


@router.post("/agencies/{agency_id}/terminate")
async def terminate(request: Request, agency_id: AgencyId, v: Actor) -> Response:
    return await _act(request, v, agency_id, "terminate", _terminate)

"""催收员 Collectors: every collector the viewer may see — qualification, annual training due, 30 days of attempts
and denials, QA findings, open monitoring flags — and one collector's page with its trainings, status history,
figures, findings and flags, where the institution's administrator or compliance officer suspends the collector
for a flag or dismisses the flag (monitoring.service, as POST /v1/monitoring/flags/{id}/suspend|dismiss).

An agency-bound viewer sees its agency's collectors only: another's by URL is not found, as if unknown. An agency's
own administrator (no institution) sees its people's shared record without any institution's figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.api import attempt_ids
from collectguard.auth.roles import Permission, Role
from collectguard.console import charts, web
from collectguard.console.reads import collectors as reads
from collectguard.console.reads import complaints as complaint_reads
from collectguard.errors import Forbidden, InvalidInput
from collectguard.monitoring import service as monitoring

router = APIRouter()
BENCH_PAGES = ["/collectors", "/collectors?sort=rate&order=desc", "/collectors/{collector}"]

Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.REGISTRY_READ, Permission.STAFF_WRITE))]
Handler = Annotated[web.Viewer, Depends(web.acting(Permission.EVENT_WRITE))]
CollectorId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
FlagId = Annotated[int, Path(ge=1, le=2_147_483_647)]

SORTS = {"id": ("编号", "ID"), "org": ("机构", "Organisation"), "attempts": ("询问", "Attempts"),
         "denied": ("被拒", "Denied"), "rate": ("拒绝率", "Denial rate"), "findings": ("质检问题", "QA findings"),
         "flags": ("未处理标记", "Open flags"), "training_due": ("培训到期", "Training due")}
STATUS = {"active": ("在岗", "Active"), "suspended": ("暂停", "Suspended"), "removed": ("已移除", "Removed")}
KINDS = {"human": ("人工", "Human"), "ai_agent": ("AI 智能体", "AI agent")}
TRAINING = {"met": ("已履行", "Met"), "due": ("即将到期", "Due soon"), "overdue": ("已逾期", "Overdue")}
METRICS = {"denials": ("被拒次数", "Denials"), "after_deny": ("被拒后再次尝试", "Attempts after a deny"),
           "against_deny": ("被拒后仍联系", "Contacts against a deny"), "qa_findings": ("质检问题", "QA findings")}
FLAG_STATUS = {"open": ("未处理", "Open"), "suspended": ("已暂停", "Suspended"), "dismissed": ("已驳回", "Dismissed")}
HISTORY = {"registry:collector:created": ("登记", "Registered"),
           "registry:collector:updated": ("资质变更", "Qualifications changed"),
           "collector:status:changed": ("状态变更", "Status changed"),
           "collector:acceptance:changed": ("本机构准入变更", "This institution's acceptance changed"),
           "collector:training:recorded": ("培训记录", "Training recorded"),
           "collector:training:recognised": ("本机构认可培训", "Training recognised by this institution")}
LABELS = {"sorts": SORTS, "status": STATUS, "kinds": KINDS, "training": TRAINING, "metrics": METRICS,
          "flag_status": FLAG_STATUS, "history": HISTORY}


def may_handle_flags(v: web.Viewer) -> bool:
    """Suspending for a flag or dismissing it is the institution's own decision: its administrator or compliance
    officer (monitoring's rule, api.common.may_record), never an agency's people or an auditor."""
    return v.principal.role in (Role.INSTITUTION_ADMIN, Role.COMPLIANCE_OFFICER) and v.can(Permission.EVENT_WRITE)


@router.get("/collectors")
async def collectors(request: Request, v: Reader) -> Response:
    t = web.Table.of(request, sorts=list(SORTS), default_sort="denied", default_desc=True,
                     filters=list(reads.FILTERS))

    def read() -> reads.Listing:
        with web.units_of(request).read() as session:
            return reads.listing(session, v.principal, web.now_of(request), filters=t.filters, sort=t.sort,
                                 desc=t.desc, offset=t.offset, limit=t.size)

    data = await run_in_threadpool(read)
    return web.render(request, "collectors.html", {"t": t, "d": data, **LABELS}, v=v)


@router.get("/collectors/{collector_id}")
async def collector(request: Request, collector_id: CollectorId, v: Reader) -> Response:
    def read() -> tuple[reads.Detail, complaint_reads.Summary | None]:
        with web.units_of(request).read() as session:
            found = reads.detail(session, v.principal, collector_id, web.now_of(request))
            # the complaints about the collector (an agency's own admin acts for no institution: none)
            return found, complaint_reads.summary(session, v.principal, web.now_of(request),
                                                  collector=collector_id) if v.institution else None

    data, complaints = await run_in_threadpool(read)
    return web.render(request, "collectors_detail.html", {
        "d": data, "c": data.row, "can_act": may_handle_flags(v), "chart_daily": charts.daily(v, data.per_day),
        "complaints": complaints,
        "flags": [(f, _evidence(f.evidence)) for f in data.flags],
        "done": request.query_params.get("done", ""), **LABELS}, v=v)


async def _note(request: Request, *, required: bool) -> str | None:
    form = await request.form()
    value = form.get("note")
    note = value.strip() if isinstance(value, str) else ""
    if len(note) > 2000:
        raise InvalidInput("说明至多 2000 字", "the note is at most 2,000 characters", field="note")
    if required and not note:
        raise InvalidInput("驳回标记须说明理由", "dismissing a flag needs a note saying why", field="note")
    return note or None


def _act(request: Request, v: web.Viewer, collector_id: str, flag_id: int, action: str, note: str | None) -> None:
    with web.units_of(request).write(web.now_of(request)) as unit:
        row = reads.flag_of(unit.session, v.principal, collector_id, flag_id)
        if action == "suspend":
            monitoring.suspend(unit, row, note)
        else:
            monitoring.dismiss(unit, row, note or "")


async def _handle(request: Request, v: web.Viewer, collector_id: str, flag_id: int, action: str) -> Response:
    if not may_handle_flags(v):
        raise Forbidden(f"角色 {v.role_name} 不能处理监测标记（仅机构管理员或合规官）",
                        f"role {v.principal.role.value} may not handle flags (the institution's administrator or "
                        "compliance officer only)")
    note = await _note(request, required=action == "dismiss")
    await run_in_threadpool(_act, request, v, collector_id, flag_id, action, note)
    return web.redirect(f"{web.PREFIX}/collectors/{web.quote(collector_id, safe='')}?done={action}#flags", request)


@router.post("/collectors/{collector_id}/flags/{flag_id}/suspend")
async def suspend_flag(request: Request, collector_id: CollectorId, flag_id: FlagId, v: Handler) -> Response:
    return await _handle(request, v, collector_id, flag_id, "suspend")


@router.post("/collectors/{collector_id}/flags/{flag_id}/dismiss")
async def dismiss_flag(request: Request, collector_id: CollectorId, flag_id: FlagId, v: Handler) -> Response:
    return await _handle(request, v, collector_id, flag_id, "dismiss")


def _evidence(evidence: dict[str, Any] | None) -> list[tuple[str, list[str]]]:
    """A flag's evidence as the institution knows it: attempt ids as its dialer sent them (api/attempt_ids.py)."""
    out = []
    for kind, ids in sorted((evidence or {}).items()):
        values = [str(i) for i in ids] if isinstance(ids, list) else [str(ids)]
        out.append((kind, [attempt_ids.external(i) for i in values] if kind == "attempts" else values))
    return out



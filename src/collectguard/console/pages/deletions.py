"""删除记录 The deletion log (arts. 12, 20(四), 21(三)): the institution's retention policy and its last purge runs,
every deletion (what kinds of data, whose pseudonymous id, when, why, approved by whom; filtered, paged), and the
agencies' requests to destroy their copies at the end of an agreement, with the forms to approve or refuse them.

Who may do what, as the API (retention/endpoints.py): reading takes `oversight:read` — an agency operator sees its
own agency's requests and their entries only; asking for a destruction `oversight:report` (an agency operator, for
its own agency); approving or refusing `oversight:write`. Every form is a POST with the session's CSRF token; a
refusal (409) or an invalid form (422) re-renders the page with the reason, and nothing changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import deletions as reads
from collectguard.errors import CollectGuardError, InvalidInput, NotFound
from collectguard.retention import service
from collectguard.retention.schemas import DestructionDecisionIn, DestructionRequestIn

router = APIRouter()
BENCH_PAGES = ["/deletions"]
Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.OVERSIGHT_READ))]
Reporter = Annotated[web.Viewer, Depends(web.acting(Permission.AGENCY_REPORT))]
Decider = Annotated[web.Viewer, Depends(web.acting(Permission.OVERSIGHT_WRITE))]
RequestId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
DONE = {"requested": ("销毁申请已提交，等待机构审批", "The destruction request is sent: the institution decides"),
        "approved": ("已同意：删除记录已写入，该机构的访问权限已收回",
                     "Approved: the deletion is logged and the agency's access has ended"),
        "refused": ("已拒绝该销毁申请", "The destruction request is refused")}


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return (value.strip() or None) if isinstance(value, str) else None


@router.get("/deletions")
async def deletions(request: Request, v: Reader) -> Response:
    return await _page(request, v)


async def _page(request: Request, v: web.Viewer, *, error: CollectGuardError | None = None, status: int = 200,
                form: dict[str, Any] | None = None) -> Response:
    t = web.Table.of(request, sorts=("at",), default_sort="at", default_desc=True,
                     filters=["kind", "reason", "subject"], size=50)

    def read() -> reads.Deletions:
        with web.units_of(request).read() as session:
            return reads.read(session, v.institution, v.agency, kind=t.filters.get("kind"),
                              reason=t.filters.get("reason"), subject=t.filters.get("subject"), limit=t.size,
                              offset=t.offset)

    found = await run_in_threadpool(read)
    return web.render(request, "deletions.html", {
        "t": t, "found": found, "error": error, "form": form or {}, "kinds": reads.KINDS, "reasons": reads.REASONS,
        "statuses": reads.STATUSES, "data_kinds": reads.DATA_KINDS, "zone": "Asia/Shanghai",
        "can_request": v.can(Permission.AGENCY_REPORT) and v.agency is not None,
        "can_decide": v.can(Permission.OVERSIGHT_WRITE) and v.agency is None,
        "notice": DONE.get(request.query_params.get("done") or "")}, v=v, status=status)


@router.post("/deletions/requests")
async def request_destruction(request: Request, v: Reporter) -> Response:
    """An agency operator asks to destroy its agency's copies (its agreement with the institution has ended)."""
    form = await request.form()
    if v.agency is None:
        return await _page(request, v, error=InvalidInput("只有合作机构可申请销毁其副本",
                                                          "only an agency asks to destroy its copies"), status=422)

    def run() -> None:
        data = DestructionRequestIn.model_validate({"requested_by": v.username or None, "note": _text(form, "note")})
        with web.units_of(request).write(web.now_of(request)) as unit:
            service.request_destruction(unit, v.institution, v.agency or "", data)

    return await _act(request, v, run, form, "requested")


@router.post("/deletions/requests/{request_id}/{decision}")
async def decide(request: Request, request_id: RequestId, decision: str, v: Decider) -> Response:
    if decision not in ("approve", "refuse"):
        raise NotFound("decision", decision, field="decision")
    form = await request.form()

    def run() -> None:
        if decision == "refuse" and _text(form, "reason") is None:
            raise InvalidInput("拒绝须说明理由", "a refusal needs a reason", field="reason")
        data = DestructionDecisionIn.model_validate({"decided_by": v.username or v.principal.role.value,
                                                     "reason": _text(form, "reason")})
        with web.units_of(request).write(web.now_of(request)) as unit:
            act = service.approve if decision == "approve" else service.refuse
            act(unit, v.institution, request_id, data)

    return await _act(request, v, run, form, "approved" if decision == "approve" else "refused")


async def _act(request: Request, v: web.Viewer, run: Any, form: FormData, done: str) -> Response:
    async def again(error: CollectGuardError, status: int) -> Response:
        return await _page(request, v, error=error, status=status, form=dict(form))

    return await web.act(request, run, again, lambda _: f"{web.PREFIX}/deletions?done={done}", also=(NotFound,))

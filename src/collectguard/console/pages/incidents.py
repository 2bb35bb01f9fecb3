"""事件 Incidents (arts. 21(二), 24): the list with live countdowns to each incident's 24 h / 48 h (overdue in red, a
late notice stays marked late), one incident with its timeline, the report's four parts and its DOCX/PDF, and
the forms — report an incident, tell the institution, send the written report to the SRO — through the same
service functions as the API (incidents/endpoints.py).

Who may do what, as the API: reading takes `oversight:read` (an agency operator: its own agency's incidents only,
another's answers like an unknown id); reporting and telling the institution `oversight:report` (an agency
operator for its own agency); the report to the SRO `oversight:write`. Every form is a POST with the session's
CSRF token; a refusal (409 `art24-major-risk-48h` naming the missing parts) or an invalid form (422) re-renders the
page with the reasons, and nothing changes."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from collectguard.auth.roles import Permission
from collectguard.auth.service import entrusts
from collectguard.console import web
from collectguard.console.reads import incidents as reads
from collectguard.errors import CollectGuardError, Forbidden, InvalidInput, NotFound
from collectguard.incidents import report_files, service
from collectguard.incidents.models import Incident
from collectguard.incidents.schemas import REPORT_PARTS, IncidentIn, IncidentNotifiedIn, MajorRiskCategory

router = APIRouter()
BENCH_PAGES = ["/incidents"]
Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.OVERSIGHT_READ))]
Reporter = Annotated[web.Viewer, Depends(web.acting(Permission.AGENCY_REPORT))]
IncidentId = Annotated[str, Path(min_length=1, max_length=64)]
DONE = {"reported": ("事件已登记，倒计时开始", "Incident recorded: its countdown has started"),
        "institution": ("已记录告知机构", "The notice to the institution is recorded"),
        "sro": ("书面报告已报送自律组织", "The written report to the SRO is recorded")}
NAMES = {"kinds": reads.KINDS, "categories": reads.CATEGORIES, "status_names": reads.STATUS_NAMES,
         "to_names": reads.TO_NAMES, "parts_meta": REPORT_PARTS}


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return (value.strip() or None) if isinstance(value, str) else None


# == the list ======================================================================================================
@router.get("/incidents")
async def incidents(request: Request, v: Reader) -> Response:
    return await _list(request, v)


async def _list(request: Request, v: web.Viewer, *, error: CollectGuardError | None = None, status: int = 200,
                form: dict[str, Any] | None = None) -> Response:
    t = web.Table.of(request, sorts=reads.SORTS, default_sort="urgency", filters=["state", "kind", "agency"])

    def read() -> tuple[reads.Listing, dict[str, str]]:
        with web.units_of(request).read() as session:
            found = reads.listing(session, v.institution, v.agency, web.now_of(request),
                                  state_filter=t.filters.get("state"), kind=t.filters.get("kind"),
                                  agency_filter=t.filters.get("agency"), q=t.q, sort=t.sort, desc=t.desc,
                                  limit=t.size, offset=t.offset)
            return found, ({} if v.agency else reads.agencies_of(session, v.institution))

    found, agencies = await run_in_threadpool(read)
    return web.render(request, "incidents.html", {
        "t": t, "found": found, "now": web.now_of(request), "agencies": agencies, "error": error, "form": form or {},
        "can_report": v.can(Permission.AGENCY_REPORT), "states": reads.STATES,
        "notice": DONE.get(request.query_params.get("done") or ""), "category_choices": list(MajorRiskCategory),
        **NAMES}, v=v, status=status)


@router.post("/incidents")
async def report(request: Request, v: Reporter) -> Response:
    """Record an incident: an agency operator's is its own agency's; the institution names one it works with (or
    none: its own)."""
    form = await request.form()
    kind = _text(form, "kind")

    def run() -> str:
        with web.units_of(request).write(web.now_of(request)) as unit:
            agency = v.agency or _text(form, "agency")
            if agency is not None and v.agency is None and not entrusts(unit.session, v.institution, agency,
                                                                         listing=False):
                raise NotFound("agency", agency, field="agency")
            discovered = _text(form, "discovered_at")
            data = IncidentIn.model_validate({
                "id": f"inc_{secrets.token_hex(10)}", "institution": v.institution, "agency": agency, "kind": kind,
                "category": _text(form, "category") if kind == "major_risk" else None,
                "discovered_at": _local(discovered, unit.session, v.institution) if discovered else None,
                "summary": _text(form, "summary")})
            service.report(unit, data, by=f"{v.principal.role.value}:{v.username}")
            return data.id

    async def again(error: CollectGuardError, status: int) -> Response:
        return await _list(request, v, error=error, status=status, form=dict(form))

    return await web.act(request, run, again, lambda made: f"{web.PREFIX}/incidents/{web.quote(made, safe='')}?done=reported",
                         also=(NotFound,))


def _local(text: str, session: Any, institution: str) -> str:
    """A `datetime-local` value (no offset) read in the institution's zone; a value with an offset as given."""
    from datetime import datetime

    from collectguard.registry.repository import institution_zone

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("发现时间格式有误", "the discovery time is not a date and time", field="discovered_at") \
            from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=institution_zone(session, institution))
    return when.isoformat()


# == one incident ==================================================================================================
@router.get("/incidents/{incident_id}")
async def incident(request: Request, incident_id: IncidentId, v: Reader) -> Response:
    return await _page(request, v, incident_id, notice=DONE.get(request.query_params.get("done") or ""))


async def _page(request: Request, v: web.Viewer, incident_id: str, *, error: CollectGuardError | None = None,
                notice: tuple[str, str] | None = None, status: int = 200, form: dict[str, Any] | None = None
                ) -> Response:
    def read() -> reads.Detail:
        with web.units_of(request).read() as session:
            return reads.detail(session, v.institution, v.agency, incident_id, web.now_of(request))

    found = await run_in_threadpool(read)
    return web.render(request, "incidents_detail.html", {
        "d": found, "o": found.incident, "now": web.now_of(request), "error": error, "notice": notice,
        "form": form or {}, "can_notify": v.can(Permission.AGENCY_REPORT),
        "can_report_sro": v.can(Permission.OVERSIGHT_WRITE) and v.agency is None, **NAMES}, v=v, status=status)


@router.post("/incidents/{incident_id}/notify")
async def notify(request: Request, incident_id: IncidentId, v: Reporter) -> Response:
    form = await request.form()
    to = _text(form, "to")
    if to == "sro" and not (v.can(Permission.OVERSIGHT_WRITE) and v.agency is None):
        raise Forbidden("只有机构可向自律组织书面报告", "only the institution reports to the self-regulatory "
                        "organisation (oversight:write)")

    def run() -> None:
        with web.units_of(request).write(web.now_of(request)) as unit:
            reads.readable(unit.session, v.institution, v.agency, incident_id)
            parts = {k: _text(form, k) or "" for k, _, _ in REPORT_PARTS}
            data = IncidentNotifiedIn.model_validate({"incident": incident_id, "to": to,
                                                      "report": parts if any(parts.values()) else None})
            service.notify(unit, data, by=f"{v.principal.role.value}:{v.username}", institution=v.institution)

    async def again(error: CollectGuardError, status: int) -> Response:
        return await _page(request, v, incident_id, error=error, status=status, form=dict(form))

    return await web.act(request, run, again, lambda _: f"{web.PREFIX}/incidents/{web.quote(incident_id, safe='')}?done={to}")


# == the written report ============================================================================================
def _file(request: Request, v: web.Viewer, incident_id: str, fmt: str) -> Response:
    with web.units_of(request).read() as session:
        row: Incident = reads.readable(session, v.institution, v.agency, incident_id)
        content = report_files.render(session, row, web.now_of(request), fmt)
        name = report_files.filename(row, fmt)
    response = Response(content, media_type=report_files.MEDIA[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    web.secure_headers(response)
    return response


@router.get("/incidents/{incident_id}/report.docx")
async def report_docx(request: Request, incident_id: IncidentId, v: Reader) -> Response:
    return await run_in_threadpool(_file, request, v, incident_id, "docx")


@router.get("/incidents/{incident_id}/report.pdf")
async def report_pdf(request: Request, incident_id: IncidentId, v: Reader) -> Response:
    return await run_in_threadpool(_file, request, v, incident_id, "pdf")

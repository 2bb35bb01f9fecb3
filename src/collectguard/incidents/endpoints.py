"""事件 Incidents over HTTP (arts. 21(二), 24): report an incident, tell the institution, report a major risk in
writing to the self-regulatory organisation, read incidents with their countdowns, download the written report.

Who may do what:
- report an incident (`oversight:report`): an agency operator reports its own agency's (the agency is forced to
  its own; another's is not found); the institution's compliance officer and admin report any, of an agency the
  institution works with or of the institution itself.
- notify the institution (`oversight:report`): the agency operator for its own agency's incident, or the
  institution recording what it was told.
- report to the SRO (`oversight:write`): the institution only; a report missing a part is refused (409,
  `art24-major-risk-48h`, the missing parts named).
- read (`oversight:read`): the institution's people read all of its incidents; an agency operator its own agency's
  only — another's answers like an unknown id (art. 19(五)).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from collectguard.api.common import Limit, Page, PathId
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden, entrusts
from collectguard.errors import NotFound
from collectguard.incidents import report_files, service
from collectguard.incidents import repository as repo
from collectguard.incidents.models import Incident
from collectguard.incidents.schemas import (
    IncidentCreate,
    IncidentKind,
    IncidentNotifiedIn,
    IncidentOut,
    NotificationBody,
    NotifyTo,
)
from collectguard.registry import tenancy

router = APIRouter(prefix="/v1", tags=["incidents 事件"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Reporter = Annotated[Principal, Depends(require(Permission.AGENCY_REPORT))]


def _by(p: Principal) -> str:
    return f"{p.role.value}:{p.label or p.key_id}"


def _readable(p: Principal, row: Incident | None, ident: str) -> Incident:
    """The incident if the caller may read it — its institution's; for an agency operator, its own agency's — else
    the same 404 as an id that does not exist."""
    if row is None or row.institution_id != p.institution_id or (
            p.agency_id is not None and row.agency_id != p.agency_id):
        raise NotFound("incident", ident, field="id")
    return row


@router.post("/incidents", response_model=IncidentOut, status_code=201,
             summary="报告事件 Report an incident (personal-information incident, major risk)")
def create_incident(body: IncidentCreate, p: Reporter, units: UnitsDep, at: Now) -> IncidentOut:
    """A `pi_breach` of an agency starts its 24 h to tell the institution (art. 21(二)); a `major_risk` (with its
    `category`) the institution's 48 h to report it in writing to the SRO (art. 24). The countdown starts at
    `discovered_at`, which cannot be later than now. An agency operator's incident is its own agency's."""
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    data = body.with_new_id()
    if p.agency_id is not None:
        if data.agency is not None and data.agency != p.agency_id:
            raise NotFound("agency", data.agency, field="agency")
        data = data.model_copy(update={"agency": p.agency_id})
    with units.write(at) as unit:
        if data.agency is not None and p.agency_id is None and not entrusts(unit.session, p.institution_id,
                                                                             data.agency, listing=False):
            raise NotFound("agency", data.agency, field="agency")
        service.report(unit, data, by=_by(p))
        tenancy.remember_ref(unit.session, p.institution_id, "incident", body.ref, data.id)
        unit.session.flush()
        row = unit.get(Incident, data.id, kind="incident")
        return service.view(unit.session, row, [], at)


@router.get("/incidents", response_model=Page[IncidentOut], summary="事件列表 Incidents with their countdowns")
def list_incidents(p: Reader, units: UnitsDep, at: Now, limit: Limit = 50, offset: Offset = 0,
                   kind: Annotated[IncidentKind | None, Query(description="类型 kind")] = None,
                   open_only: Annotated[bool, Query(alias="open", description="只看尚未通知/报告的 only those whose "
                                                                              "notice is still owed")] = False,
                   ) -> Page[IncidentOut]:
    """Newest discovery first; each with its deadline (`due_at`), the seconds left (`remaining_seconds`, negative
    once passed), its status (met, due, overdue) and whether the notice that met it was late."""
    with units.read() as session:
        rows, total = repo.incidents(session, p.institution_id, agencies=[p.agency_id] if p.agency_id else None,
                                     kind=kind, open_only=open_only, limit=limit, offset=offset)
        return Page[IncidentOut](items=service.views(session, rows, at), total=total, limit=limit, offset=offset)


@router.get("/incidents/{incident_id}", response_model=IncidentOut, summary="查看事件 Read an incident")
def get_incident(incident_id: PathId, p: Reader, units: UnitsDep, at: Now) -> IncidentOut:
    with units.read() as session:
        row = _readable(p, session.get(Incident, incident_id), incident_id)
        return service.views(session, [row], at)[0]


@router.post("/incidents/{incident_id}/notifications", response_model=IncidentOut, status_code=201,
             summary="通知机构或书面报告自律组织 Tell the institution, or report to the SRO")
def notify(incident_id: PathId, body: NotificationBody, p: Reporter, units: UnitsDep, at: Now) -> IncidentOut:
    """`to: institution` meets the 24 h of a `pi_breach`; `to: sro` with all four parts (`cause`, `state`, `impact`,
    `measures`) meets the 48 h of a major risk — only the institution (`oversight:write`) reports to the SRO. A late
    notice is accepted and stays marked late (`late`, `late_seconds`)."""
    if body.to is NotifyTo.SRO and not p.can(Permission.OVERSIGHT_WRITE):
        raise Forbidden("只有机构可向自律组织书面报告", "only the institution reports to the self-regulatory "
                        "organisation (oversight:write)")
    with units.write(at) as unit:
        _readable(p, unit.session.get(Incident, incident_id), incident_id)
        service.notify(unit, IncidentNotifiedIn(incident=incident_id, to=body.to, report=body.report), by=_by(p),
                       institution=p.institution_id)
        unit.session.flush()
        return service.views(unit.session, [unit.get(Incident, incident_id, kind="incident")], at)[0]


def _file(incident_id: str, p: Principal, units: UnitsDep, at: Now, fmt: str) -> Response:
    with units.read() as session:
        row = _readable(p, session.get(Incident, incident_id), incident_id)
        content = report_files.render(session, row, at, fmt)
        name = report_files.filename(row, fmt)
    return Response(content, media_type=report_files.MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/incidents/{incident_id}/report.docx", response_class=Response,
            summary="书面报告（DOCX）The written report as DOCX",
            responses={200: {"content": {report_files.MEDIA["docx"]: {}}}})
def report_docx(incident_id: PathId, p: Reader, units: UnitsDep, at: Now) -> Response:
    """The report to the SRO (art. 24) ready to send: the four parts of the latest report, or a draft with the
    parts still to complete."""
    return _file(incident_id, p, units, at, "docx")


@router.get("/incidents/{incident_id}/report.pdf", response_class=Response,
            summary="书面报告（PDF）The written report as PDF",
            responses={200: {"content": {report_files.MEDIA["pdf"]: {}}}})
def report_pdf(incident_id: PathId, p: Reader, units: UnitsDep, at: Now) -> Response:
    return _file(incident_id, p, units, at, "pdf")

"""投诉 Complaints over HTTP (arts. 22, 23, 27): intake, the timeline, verification, the investigator (recusal
checked), an extension with its reason, the result notice.

Who may do what:
- institution admins and compliance officers (`oversight:write`) register complaints from every channel and take
  them through verification, investigation and the answer;
- an agency operator (`oversight:report`) registers a complaint it received about its own work — it always names
  its own agency, which the institution then handles as its own (art. 22) — and reads the complaints about its
  own agency only (masked, without the complainant's words); another agency's answer like an unknown id;
- auditors read everything of their institution, change nothing (403).
Personal data is masked in every answer; the web form of the public page (`/public/{institution}/…`) is in
public/endpoints.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from collectguard.agencies import repository as agency_repo
from collectguard.api.common import Limit, Page, PathId, page
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden, entrusts
from collectguard.complaints import repository as repo
from collectguard.complaints import service
from collectguard.complaints.models import Complaint
from collectguard.complaints.schemas import (
    AssignBody,
    ComplaintAssignIn,
    ComplaintChannel,
    ComplaintCreate,
    ComplaintExtendIn,
    ComplaintOut,
    ComplaintResolvedIn,
    ComplaintStatus,
    ComplaintVerifyIn,
    ExtendBody,
    ResolveBody,
    VerifyBody,
)
from collectguard.debts.repository import debtor_visible
from collectguard.errors import NotFound
from collectguard.oversight.repository import local_day
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.registry.schemas import EventOut, Ident

router = APIRouter(prefix="/v1", tags=["complaints 投诉"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.OVERSIGHT_WRITE))]
Intake = Annotated[Principal, Depends(require(Permission.OVERSIGHT_WRITE, Permission.AGENCY_REPORT))]

REGISTER_EXAMPLES = {
    "phone": {"summary": "电话投诉，针对合作机构的催收员 A phone complaint about an agency's collector",
              "value": {"institution": "bank", "debtor": "d1", "agency": "agA", "collector": "c1",
                        "channel": "phone", "complainant_name": "张三", "complainant_phone": "13800138000",
                        "text": "催收员晚上十点后多次来电", "ref": "TS-2026-0001"}},
    "proxy": {"summary": "无授权的代理投诉（登记并提示）A proxy without authorisation (registered, warned)",
              "value": {"institution": "bank", "debtor": "d1", "channel": "letter",
                        "proxy": {"name": "某维权代理", "authorisation": False}}},
}


def _readable(session: object, p: Principal, ident: str) -> Complaint:
    """The institution's complaint; for an agency operator, one about its own agency; else an unknown id."""
    row = session.get(Complaint, ident)  # type: ignore[attr-defined]
    if row is None or row.institution_id != p.institution_id or (
            p.agency_id is not None and row.agency_id != p.agency_id):
        raise NotFound("complaint", ident, field="id")
    return row


def _check_parties(session: object, p: Principal, body: ComplaintCreate, at: object) -> None:
    """Every party named is one the caller's institution works with (anything else: not found)."""
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    if body.debtor is not None:
        debtor_visible(session, p, body.debtor, at)  # type: ignore[arg-type]
    if body.agency is not None and not entrusts(session, p.institution_id, body.agency,  # type: ignore[arg-type]
                                                listing=False):
        raise NotFound("agency", body.agency, field="agency")
    if body.collector is not None:
        collector = session.get(m.Collector, body.collector)  # type: ignore[attr-defined]
        org = collector.org_id if collector is not None else None
        if p.agency_id is not None:
            allowed = org is not None and org in agency_repo.family(session, p.agency_id)  # type: ignore[arg-type]
        else:
            allowed = org is not None and (org == p.institution_id or entrusts(
                session, p.institution_id, org, listing=False))  # type: ignore[arg-type]
        if not allowed:
            raise NotFound("collector", body.collector, field="collector")


@router.post("/complaints", response_model=EventOut, status_code=201,
             summary="登记投诉 Register a complaint (phone, e-mail, letter, web, regulator)",
             openapi_extra={"requestBody": {"content": {"application/json": {"examples": REGISTER_EXAMPLES}}}})
def register(body: ComplaintCreate, p: Intake, units: UnitsDep, at: Now) -> EventOut:
    """The answer is due `complaint_days` (15, or the institution's stricter policy) local days after today;
    `detail` says the due date, whether a proxy without a valid authorisation was flagged (and the warning to give
    the complainant, in Chinese and English) and the anti-collection signals raised for review. An agency operator
    registers complaints about its own agency only (the agency is filled in)."""
    if p.agency_id is not None:
        if body.agency not in (None, p.agency_id):
            raise NotFound("agency", body.agency or "", field="agency")
        body = body.model_copy(update={"agency": p.agency_id})
    elif not p.can(Permission.OVERSIGHT_WRITE):
        raise Forbidden("仅机构合规人员可登记投诉", "only the institution's compliance people register complaints")
    data = body.with_new_id()
    with units.write(at) as unit:
        _check_parties(unit.session, p, body, at)
        event = service.register(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "complaint", body.ref, data.id)
        if p.agency_id is not None:  # the anti-collection signals are the institution's (art. 20(三)), never an agency's
            return event.model_copy(update={"detail": {k: v for k, v in event.detail.items() if k != "signals"}})
        return event


@router.get("/complaints", response_model=Page[ComplaintOut], summary="投诉列表 Complaints, newest first")
def list_complaints(p: Reader, units: UnitsDep, now: Now, limit: Limit = 50, offset: Offset = 0,
                    status: Annotated[ComplaintStatus | None, Query()] = None,
                    agency: Annotated[Ident | None, Query()] = None,
                    collector: Annotated[Ident | None, Query()] = None,
                    debtor: Annotated[Ident | None, Query()] = None,
                    channel: Annotated[ComplaintChannel | None, Query()] = None,
                    overdue: Annotated[bool, Query(description="只看已过答复期限且未办结的 only those past their "
                                                               "deadline and not resolved")] = False,
                    ) -> Page[ComplaintOut]:
    with units.read() as session:
        today = local_day(session, p.institution_id, now)
        rows = repo.complaints(session, p.institution_id, status=status, agency_id=agency,
                               agencies=[p.agency_id] if p.agency_id is not None else None, channel=channel,
                               collector_id=collector, debtor_id=debtor, overdue_on=today if overdue else None,
                               limit=limit, offset=offset)
        return page(rows, limit, offset, lambda r: service.complaint_out(session, r, today=today, for_agency=p.agency_id is not None))


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, summary="查看投诉 Read a complaint and its "
            "timeline")
def get_complaint(complaint_id: PathId, p: Reader, units: UnitsDep, now: Now) -> ComplaintOut:
    with units.read() as session:
        row = _readable(session, p, complaint_id)
        return service.complaint_out(session, row, today=local_day(session, row.institution_id, now),
                                     for_agency=p.agency_id is not None, with_steps=True)


@router.post("/complaints/{complaint_id}/verify", response_model=EventOut,
             summary="核实 Verify the complaint (identity, a proxy's authorisation)")
def verify(complaint_id: PathId, p: Writer, units: UnitsDep, at: Now, body: VerifyBody | None = None) -> EventOut:
    """An authorisation the proxy shows now (`proxy_authorised: true`) clears the warning flag."""
    body = body or VerifyBody()
    with units.write(at) as unit:
        return service.verify(unit, ComplaintVerifyIn(complaint=complaint_id, proxy_authorised=body.proxy_authorised,
                                                      note=body.note), institution=p.institution_id, actor=p.key_id)


@router.post("/complaints/{complaint_id}/assign", response_model=EventOut,
             summary="指定调查人 Name the investigator (recusal checked, art. 22)")
def assign(complaint_id: PathId, body: AssignBody, p: Writer, units: UnitsDep, at: Now) -> EventOut:
    """409 `art22-recusal` when the investigator is the collector complained about; 409
    `art22-institution-handles` when the complaint names an agency and the investigator belongs to it (or to its
    subcontractor or parent); both when both apply."""
    with units.write(at) as unit:
        return service.assign(unit, ComplaintAssignIn(complaint=complaint_id, investigator=body.investigator),
                              institution=p.institution_id, actor=p.key_id)


@router.post("/complaints/{complaint_id}/extend", response_model=EventOut,
             summary="延长答复期限 Extend the answer's deadline, with a reason")
def extend(complaint_id: PathId, body: ExtendBody, p: Writer, units: UnitsDep, at: Now) -> EventOut:
    """Later only, at most twice the guideline's days after registration; the obligation then counts against it."""
    with units.write(at) as unit:
        return service.extend(unit, ComplaintExtendIn(complaint=complaint_id, due_date=body.due_date,
                                                      reason=body.reason), institution=p.institution_id,
                              actor=p.key_id)


@router.post("/complaints/{complaint_id}/resolve", response_model=EventOut,
             summary="办结并告知结果 Resolve: the result told to the complainant, the root cause")
def resolve(complaint_id: PathId, body: ResolveBody, p: Writer, units: UnitsDep, at: Now) -> EventOut:
    """409 `art22-complaints` before an investigator is named. `root_cause`: a rule id or text citing rule ids
    (they feed the agency's and collector's figures); an unknown rule id is a 422."""
    with units.write(at) as unit:
        return service.resolve(unit, ComplaintResolvedIn(complaint=complaint_id, root_cause=body.root_cause,
                                                         result=body.result), institution=p.institution_id,
                               actor=p.key_id)

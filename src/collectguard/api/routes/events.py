"""Events that change what the gate decides: repayments, refusals, statuses, training, approvals, placements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from collectguard.api.deps import GateDep, Now, StoreDep, require
from collectguard.auth.roles import FIELD_EVENTS, Permission, Principal, Role
from collectguard.auth.service import Forbidden, entrusts
from collectguard.collectors import repository as collectors
from collectguard.debts import repository as debts
from collectguard.errors import Conflict, NotFound
from collectguard.gate import schemas as g
from collectguard.registry import models as m
from collectguard.registry.schemas import PlacementIn

router = APIRouter(prefix="/v1", tags=["events 事件"])
Writer = Annotated[Principal, Depends(require(Permission.EVENT_WRITE))]
Placer = Annotated[Principal, Depends(require(Permission.PLACEMENT_WRITE))]
StaffEvents = Annotated[Principal, Depends(require(Permission.EVENT_WRITE, Permission.STAFF_WRITE))]


def _institution_only(p: Principal, event: str) -> None:
    if event not in FIELD_EVENTS and p.role not in (Role.INSTITUTION_ADMIN, Role.COMPLIANCE_OFFICER):
        raise Forbidden(f"角色 {p.role.value} 不能登记此事件", f"role {p.role.value} may not record {event}")


@router.post("/repayments", response_model=g.EventOut, summary="还款 Repayment (settled → stop at once)")
def repayment(body: g.RepaymentIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    """Any event writer may report an amount received; `settled: true` (collection stops, the holding agency is
    told) needs `debt:settle`, which an agency operator or an integration key does not have."""
    if body.settled and not p.can(Permission.DEBT_SETTLE):
        raise Forbidden(f"角色 {p.role.value} 不能将债务登记为结清（debt:settle）",
                        f"role {p.role.value} may not mark a debt settled (debt:settle)")
    with store.read() as session:
        debts.debt(session, p, body.debt, at)
    return gate.repayment(body, at)


@router.post("/contact-refusals", response_model=g.EventOut, summary="联系人拒绝 A contact refused")
def contact_refused(body: g.ContactRefusedIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    with store.read() as session:
        debts.contact_visible(session, p, body.contact, at)
    return gate.contact_refused(body, at, institution=p.institution_id)


@router.post("/debtor-status", response_model=g.EventOut, summary="债务人状态 Debtor status")
def debtor_status(body: g.DebtorStatusIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "debtor_status")
    with store.read() as session:
        debts.debtor_visible(session, p, body.debtor, at)
    return gate.debtor_status(body, at)


@router.post("/agency-status", response_model=g.EventOut, summary="名单状态 Agency name-list status")
def agency_status(body: g.AgencyStatusIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    """Put an agency on the caller's name list, or change its status there. Listing needs a written agreement
    with the agency (art. 17(三)) — or, for a subcontractor, the caller's advance approval (art. 17(四))."""
    _institution_only(p, "agency_status")
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    with store.read() as session:
        if session.get(m.Agency, body.agency) is None:
            raise NotFound("agency", body.agency, field="agency")
        if not entrusts(session, p.institution_id, body.agency, listing=False):
            raise Conflict(f"与 {body.agency} 无委托协议，不能列入名单（第17条）",
                           f"no agreement with {body.agency}: it cannot be put on the name list (art. 17)",
                           field="agency", code="art17-agreement-active")
    return gate.agency_status(body, at)


@router.post("/collector-status", response_model=g.EventOut, summary="催收人员状态 Collector status")
def collector_status(body: g.CollectorStatusIn, p: StaffEvents, store: StoreDep, gate: GateDep,
                     at: Now) -> g.EventOut:
    """From the collector's own organisation: its status for everyone. From an institution about an agency's
    collector: that institution's own suspension (or reinstatement), which no other institution sees."""
    return gate.collector_status(body, at, institution=_staff_event_scope(p, store, body.collector, "collector_status"))


@router.post("/trainings", response_model=g.EventOut, summary="培训考试 Training passed")
def training(body: g.TrainingIn, p: StaffEvents, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    """Recorded by the collector's own organisation, a training counts everywhere; recorded by an institution for
    an agency's collector, it counts for that institution only."""
    return gate.training(body, at, institution=_staff_event_scope(p, store, body.collector, "training"))


def _staff_event_scope(p: Principal, store: StoreDep, collector_id: str, event: str) -> str | None:
    """Who the event speaks for: None for the collector's own agency (its `agency_admin` key), else the caller's
    institution. Anyone else's collector is not found."""
    with store.read() as session:
        if p.is_agency_admin:
            row = session.get(m.Collector, collector_id)
            if row is None or row.org_id != p.agency_id:
                raise NotFound("collector", collector_id, field="collector")
            return None
        _institution_only(p, event)
        collectors.usable(session, p, collector_id)
    return p.institution_id


@router.post("/placements", response_model=g.EventOut, summary="委案 Place a debt (overlaps → 409)")
def placement(body: PlacementIn, p: Placer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    """Needs `placement:write`, as changing a placement (PATCH /v1/placements/{id}) does."""
    with store.read() as session:
        debts.debt(session, p, body.debt, at)
        if session.get(m.AgencyListing, (p.institution_id, body.agency)) is None:
            raise NotFound("agency", body.agency, field="agency")
    return gate.placement(body, at)

"""Events that change what the gate decides: repayments, refusals, statuses, training, approvals, placements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from collectguard.api import scope
from collectguard.api.deps import GateDep, Now, StoreDep, require
from collectguard.auth.roles import FIELD_EVENTS, Permission, Principal, Role
from collectguard.auth.service import Forbidden
from collectguard.errors import NotFound
from collectguard.gate import schemas as g
from collectguard.registry import models as m
from collectguard.registry.schemas import PlacementIn

router = APIRouter(prefix="/v1", tags=["events 事件"])
Writer = Annotated[Principal, Depends(require(Permission.EVENT_WRITE))]


def _institution_only(p: Principal, event: str) -> None:
    if event not in FIELD_EVENTS and p.role not in (Role.INSTITUTION_ADMIN, Role.COMPLIANCE_OFFICER):
        raise Forbidden(f"角色 {p.role.value} 不能登记此事件", f"role {p.role.value} may not record {event}")


@router.post("/repayments", response_model=g.EventOut, summary="还款 Repayment (settled → stop at once)")
def repayment(body: g.RepaymentIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    with store.read() as session:
        scope.debt(session, p, body.debt, at)
    return gate.repayment(body, at)


@router.post("/contact-refusals", response_model=g.EventOut, summary="联系人拒绝 A contact refused")
def contact_refused(body: g.ContactRefusedIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    with store.read() as session:
        scope.contact_visible(session, p, body.contact, at)
    return gate.contact_refused(body, at)


@router.post("/debtor-status", response_model=g.EventOut, summary="债务人状态 Debtor status")
def debtor_status(body: g.DebtorStatusIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "debtor_status")
    with store.read() as session:
        scope.debtor_visible(session, p, body.debtor, at)
    return gate.debtor_status(body, at)


@router.post("/agency-status", response_model=g.EventOut, summary="名单状态 Agency name-list status")
def agency_status(body: g.AgencyStatusIn, p: Writer, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "agency_status")
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    return gate.agency_status(body, at)


@router.post("/collector-status", response_model=g.EventOut, summary="催收人员状态 Collector status")
def collector_status(body: g.CollectorStatusIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "collector_status")
    with store.read() as session:
        scope.collector_usable(session, p, body.collector)
    return gate.collector_status(body, at)


@router.post("/trainings", response_model=g.EventOut, summary="培训考试 Training passed")
def training(body: g.TrainingIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "training")
    with store.read() as session:
        scope.collector_usable(session, p, body.collector)
    return gate.training(body, at)


@router.post("/placements", response_model=g.EventOut, summary="委案 Place a debt (overlaps → 409)")
def placement(body: PlacementIn, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> g.EventOut:
    _institution_only(p, "placement")
    with store.read() as session:
        scope.debt(session, p, body.debt, at)
        if session.get(m.AgencyListing, (p.institution_id, body.agency)) is None:
            raise NotFound("agency", body.agency, field="agency")
    return gate.placement(body, at)

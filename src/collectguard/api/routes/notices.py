"""Stop notices to agencies (art. 11(五)): list deliveries, acknowledge, set an agency's webhook endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from collectguard.api.deps import Now, StoreDep, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.auth.roles import Permission, Principal, Role
from collectguard.auth.service import Forbidden
from collectguard.notices import service
from collectguard.notices.models import AgencyEndpoint, NoticeStatus, OutboxRow
from collectguard.notices.schemas import AckIn, EndpointIn, EndpointOut, NoticeOut
from collectguard.registry.schemas import Ident

router = APIRouter(prefix="/v1", tags=["notices 停催通知"])
Reader = Annotated[Principal, Depends(require(Permission.NOTICES_READ))]
Acker = Annotated[Principal, Depends(require(Permission.NOTICES_ACK))]


def _admin(p: Annotated[Principal, Depends(require(Permission.NOTICES_READ))]) -> Principal:
    if p.role is not Role.INSTITUTION_ADMIN:
        raise Forbidden("只有机构管理员可以设置回调地址", "only an institution admin may set a webhook endpoint")
    return p


Admin = Annotated[Principal, Depends(_admin)]


@router.get("/notices", response_model=list[NoticeOut], summary="停催通知列表 List stop notices and their delivery")
def list_notices(
    p: Reader,
    store: StoreDep,
    agency: Annotated[Ident | None, Query()] = None,
    debt: Annotated[Ident | None, Query()] = None,
    status: Annotated[NoticeStatus | None, Query()] = None,
    acknowledged: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[NoticeOut]:
    """The institution's staff see all of its notices; an agency operator sees only those sent to its agency."""
    stmt = select(OutboxRow).where(OutboxRow.institution_id == p.institution_id)
    if p.agency_id is not None:
        stmt = stmt.where(OutboxRow.agency_id == p.agency_id)
    if agency:
        stmt = stmt.where(OutboxRow.agency_id == agency)
    if debt:
        stmt = stmt.where(OutboxRow.debt_id == debt)
    if status:
        stmt = stmt.where(OutboxRow.status == status)
    if acknowledged is not None:
        ack = OutboxRow.acknowledged_at
        stmt = stmt.where(ack.is_not(None) if acknowledged else ack.is_(None))
    with store.read() as session:
        rows = session.execute(stmt.order_by(OutboxRow.created_at, OutboxRow.id).limit(limit).offset(offset)).scalars()
        return [NoticeOut.model_validate(r) for r in rows]


@router.post("/notices/{notice_id}/ack", response_model=NoticeOut, summary="确认停催 Acknowledge a stop notice")
def acknowledge(notice_id: Ident, body: AckIn, p: Acker, units: UnitsDep, at: Now) -> NoticeOut:
    """The notified agency confirms it has stopped. Repeating it returns the first acknowledgement."""
    if p.agency_id is None:
        raise Forbidden("只有被通知的催收机构可以确认停催通知", "only the notified agency may acknowledge a stop notice")
    with units.write(at) as unit:
        row = service.acknowledge(unit, notice_id, institution_id=p.institution_id, agency_id=p.agency_id,
                                  note=body.note)
        unit.session.flush()
        unit.session.refresh(row)  # times as stored (UTC), the same on a first and a repeated answer
        return NoticeOut.model_validate(row)


@router.put("/agency-endpoints/{agency}", response_model=EndpointOut,
            summary="设置回调地址 Set an agency's webhook endpoint")
def put_endpoint(agency: Ident, body: EndpointIn, p: Admin, units: UnitsDep, at: Now) -> EndpointOut:
    """Where stop notices to this agency are POSTed, and the secret that signs them (never returned)."""
    with units.write(at) as unit:
        row = service.set_endpoint(unit, p.institution_id, agency, body)
        unit.session.flush()
        unit.session.refresh(row)
        return EndpointOut.model_validate(row)


@router.get("/agency-endpoints", response_model=list[EndpointOut], summary="回调地址列表 List webhook endpoints")
def list_endpoints(p: Reader, store: StoreDep) -> list[EndpointOut]:
    if p.agency_id is not None:
        raise Forbidden("催收机构不能查看回调地址配置", "an agency may not list webhook endpoints")
    with store.read() as session:
        rows = session.execute(
            select(AgencyEndpoint).where(AgencyEndpoint.institution_id == p.institution_id)
            .order_by(AgencyEndpoint.agency_id)
        ).scalars()
        return [EndpointOut.model_validate(r) for r in rows]

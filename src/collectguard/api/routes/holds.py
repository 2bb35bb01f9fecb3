"""Holds over HTTP: place, release, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select

from collectguard.api.deps import Now, StoreDep, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.auth.roles import Permission, Principal
from collectguard.debts import repository as debts
from collectguard.errors import NotFound
from collectguard.fields import Note
from collectguard.holds import service
from collectguard.holds.models import HoldRow
from collectguard.holds.schemas import HoldIn, HoldOut, HoldReason, HoldReleaseIn
from collectguard.registry.schemas import Ident, Strict

router = APIRouter(prefix="/v1/holds", tags=["holds 暂停催收"])


class ReleaseBody(Strict):
    note: Note | None = None


@router.post("", response_model=HoldOut, status_code=201, summary="暂停催收 Place a hold")
def place(body: HoldIn, p: Annotated[Principal, Depends(require(Permission.HOLD_WRITE))], units: UnitsDep,
          at: Now) -> HoldOut:
    # Stops collection of the debt (or every debt of the debtor) at once and tells the agency holding each of
    # them today to stop (a stop notice), in one transaction.
    if body.institution != p.institution_id:
        raise NotFound("institution", body.institution, field="institution")
    with units.write(at) as unit:
        if body.debt:
            debts.debt(unit.session, p, body.debt, at)
        if body.debtor:
            debts.debtor_visible(unit.session, p, body.debtor, at)
        return service.place(unit, body)


@router.post("/{hold_id}/release", response_model=HoldOut, summary="解除暂停 Release a hold")
def release(hold_id: Annotated[Ident, Path()], body: ReleaseBody, p: Annotated[Principal, Depends(require(Permission.HOLD_WRITE))],
            units: UnitsDep, at: Now) -> HoldOut:
    with units.write(at) as unit:
        return service.release(unit, HoldReleaseIn(hold=hold_id, note=body.note), institution=p.institution_id)


@router.get("", response_model=list[HoldOut], summary="暂停列表 List holds")
def list_holds(
    p: Annotated[Principal, Depends(require(Permission.HOLD_READ))],
    store: StoreDep,
    debt: Annotated[Ident | None, Query()] = None,
    debtor: Annotated[Ident | None, Query()] = None,
    reason: Annotated[HoldReason | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[HoldOut]:
    stmt = select(HoldRow).where(HoldRow.institution_id == p.institution_id)
    if debt:
        stmt = stmt.where(HoldRow.debt_id == debt)
    if debtor:
        stmt = stmt.where(HoldRow.debtor_id == debtor)
    if reason:
        stmt = stmt.where(HoldRow.reason == reason)
    if active is not None:
        stmt = stmt.where(HoldRow.released_at.is_(None) if active else HoldRow.released_at.is_not(None))
    with store.read() as session:
        rows = session.execute(stmt.order_by(HoldRow.starts_at, HoldRow.id).limit(limit).offset(offset)).scalars()
        return [HoldOut.model_validate(r) for r in rows]

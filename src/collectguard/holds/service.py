"""Place and release holds; load the holds that bear on one attempt."""

from __future__ import annotations

from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.holds.models import HoldRow
from collectguard.holds.schemas import HoldIn, HoldOut, HoldReleaseIn
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry.unit import Unit


def place(registry: Unit, data: HoldIn) -> HoldOut:
    """Place a hold on a debt or a debtor of the institution."""
    session = registry.session
    registry.get(m.Institution, data.institution, kind="institution", field="institution")
    if data.debt is not None:
        debt = registry.get(m.Debt, data.debt, kind="debt", field="debt")
        if debt.institution_id != data.institution:
            raise InvalidInput("该债务不属于本机构", "the debt belongs to another institution", field="debt")
    else:
        assert data.debtor is not None
        registry.get(m.Debtor, data.debtor, kind="debtor", field="debtor")
    if session.get(HoldRow, data.id) is not None:
        raise Conflict(f"暂停 {data.id} 已存在", f"hold {data.id} already exists", field="id", code="duplicate-id")
    row = HoldRow(
        id=data.id, institution_id=data.institution, debt_id=data.debt, debtor_id=data.debtor,
        reason=data.reason, note=data.note, starts_at=data.starts_at or registry.at,
    )
    session.add(row)
    registry.record(
        Tag.HOLD_PLACED, data.id,
        {"debt": data.debt, "debtor": data.debtor, "reason": data.reason, "starts_at": row.starts_at},
        data.institution,
    )
    return HoldOut.model_validate(row)


def release(registry: Unit, data: HoldReleaseIn, institution: str | None = None) -> HoldOut:
    row = registry.get(HoldRow, data.hold, kind="hold", field="hold")
    if institution is not None and row.institution_id != institution:
        raise NotFound("hold", data.hold, field="hold")
    if row.released_at is not None:
        raise Conflict(f"暂停 {row.id} 已解除", f"hold {row.id} is already released", field="hold", code="hold-released")
    if registry.at < row.starts_at:
        raise InvalidInput("解除时间早于开始时间", "release is earlier than the hold's start", field="at")
    row.released_at = registry.at
    row.release_note = data.note
    registry.record(Tag.HOLD_RELEASED, row.id, {"note": data.note}, row.institution_id)
    return HoldOut.model_validate(row)



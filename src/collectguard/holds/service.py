"""Place and release holds, in the caller's transaction, each in the ledger. Services never commit."""

from __future__ import annotations

from collectguard.debts import repository as debts
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.holds.models import HoldRow
from collectguard.holds.schemas import HoldIn, HoldOut, HoldReleaseIn
from collectguard.ledger.tags import Tag
from collectguard.notices import service as notices
from collectguard.registry import models as m
from collectguard.registry.unit import Unit


def place(registry: Unit, data: HoldIn) -> HoldOut:
    """Stop collection of a debt or a debtor of the institution across every agency and channel (product rule
    `hold-active`), serialised on the debtor, and tell each agency holding one of those debts today to stop
    (a stop notice, art. 11(五))."""
    session = registry.session
    if data.debt is not None:
        debt = registry.get(m.Debt, data.debt, kind="debt", field="debt")
        registry.lock(m.Debtor.id, debt.debtor_id)
    elif data.debtor is not None:
        registry.lock(m.Debtor.id, data.debtor)
    registry.get(m.Institution, data.institution, kind="institution", field="institution")
    if data.debt is not None:
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
    for debt_id, agency in debts.holders(session, data.institution, registry.at, debt_id=data.debt,
                                         debtor_id=data.debtor):
        notices.stop_notice(registry, data.institution, agency, debt_id,
                            {"reason": f"hold:{data.reason}", "hold": data.id})
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
    # the note is kept on the hold (a purge past retention clears it); the ledger says only that there was one
    registry.record(Tag.HOLD_RELEASED, row.id, {"note": data.note is not None}, row.institution_id)
    return HoldOut.model_validate(row)



"""Debtors, contacts, debts, placements and debtor agreements: create and change, in the caller's transaction, each
change in the ledger; the audit of every read of personal data. Services never commit.

Personal data (names, phones, ID numbers, addresses) is encrypted at rest (registry/personal.py) and stays out
of the ledger: records name the fields changed, never their values."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from collectguard.auth.roles import Principal
from collectguard.debts import models as dm
from collectguard.debts import repository as repo
from collectguard.debts.schemas import ContactRefusedIn, DebtorStatusIn, RepaymentIn
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.fields import MAX_TOTAL
from collectguard.ledger.tags import Tag
from collectguard.notices import service as notices
from collectguard.registry import models as m
from collectguard.registry import refusals, tenancy
from collectguard.registry import schemas as s
from collectguard.registry.personal import write_personal
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit, check_period
from collectguard.rulebook.vocabulary import DebtStatus

SINGLE_AGENCY = "art17-single-agency"
DEBTOR_PERSONAL = ("name", "phone", "id_number", "address")
CONTACT_PERSONAL = ("name", "phone")


# -- debtors and contacts ----------------------------------------------------------------------------
def add_debtor(unit: Unit, data: s.DebtorIn, default_timezone: str = s.DEFAULT_TIMEZONE,
               institution: str | None = None) -> dm.Debtor:
    """Register a debtor; `institution` marks the tenant that registered it over the API."""
    row = dm.Debtor(id=data.id, timezone=data.timezone or default_timezone, status=data.status,
                    institution_id=institution)
    write_personal(unit.session, row, {"name": data.name, "phone": data.phone, "id_number": data.id_number,
                                       "address": data.address})
    # Personal data stays out of the ledger: only the id and non-personal fields are recorded.
    unit.new(row, "debtor", data.id, Tag.DEBTOR_CREATED, {"timezone": row.timezone, "status": data.status},
             institution)
    return row


def update_debtor(unit: Unit, ident: str, changes: dict[str, Any], *, institution: str | None = None) -> dm.Debtor:
    """Personal fields are re-encrypted; the ledger names the fields changed, never their values.
    `institution`: who changed it, for a debtor shared by imports (else the debtor's owner)."""
    row = unit.get(dm.Debtor, ident, kind="debtor")
    personal = {k: v for k, v in changes.items() if k in DEBTOR_PERSONAL}
    plain = {k: v for k, v in changes.items() if k not in DEBTOR_PERSONAL}
    write_personal(unit.session, row, personal)
    for attr, value in plain.items():
        setattr(row, attr, value)
    concerned = [institution] if institution else tenancy.institutions_of_debtor(unit.session, ident)
    unit.record_for(Tag.DEBTOR_UPDATED, ident, {"fields": sorted(changes), **plain}, concerned)
    return row


def add_contact(unit: Unit, data: s.ContactIn, *, institution: str | None = None) -> dm.Contact:
    """`institution`: who registered it over the API; else every institution the debtor owes."""
    unit.require(dm.Debtor, data.debtor, kind="debtor", field="debtor")
    if unit.exists(dm.Debtor, data.id):
        raise Conflict(f"{data.id} 已是债务人", f"{data.id} is already a debtor", field="id", code="duplicate-id")
    row = dm.Contact(
        id=data.id,
        debtor_id=data.debtor,
        relation=data.relation,
        refused=data.refused,
        refused_at=unit.at if data.refused else None,
        offers_to_repay=data.offers_to_repay,
    )
    write_personal(unit.session, row, {"name": data.name, "phone": data.phone})
    unit.new(row, "contact", data.id, Tag.CONTACT_CREATED, data.model_dump(mode="json", exclude={"name", "phone"}),
             [institution] if institution else tenancy.institutions_of_debtor(unit.session, data.debtor))
    if data.refused:  # registered as already refused: its number is refused too (art. 8(三)) — once the contact is
        # in the session and flushed, so the refused number's row never goes in before the contact it points at
        unit.session.flush([row])
        refusals.remember(unit.session, row, tenancy.institutions_of_debtor(unit.session, data.debtor), unit.at)
    return row


def update_contact(unit: Unit, ident: str, changes: dict[str, Any], *, institution: str | None = None) -> dm.Contact:
    row = unit.get(dm.Contact, ident, kind="contact")
    personal = {k: v for k, v in changes.items() if k in CONTACT_PERSONAL}
    plain = {k: v for k, v in changes.items() if k not in personal}
    write_personal(unit.session, row, personal)
    for attr, value in plain.items():
        setattr(row, attr, value)
    concerned = [institution] if institution else tenancy.institutions_of_debtor(unit.session, row.debtor_id)
    unit.record_for(Tag.CONTACT_UPDATED, ident, {"fields": sorted(changes), **plain}, concerned)
    return row


def record_read(unit: Unit, p: Principal, entity: str, ids: list[str], subject: str | None = None) -> None:
    """`privacy:pii:read`: who (key, role) read which records, masked. Never the values."""
    if ids:
        unit.record(Tag.PII_READ, subject or ids[0],
                    {"key_id": p.key_id, "role": p.role.value, "entity": entity, "ids": ids}, p.institution_id)


def record_reveal(unit: Unit, p: Principal, debtor_id: str, fields: list[str], reason: str,
                  note: str | None) -> None:
    """`privacy:pii:revealed`: the key, role, fields, reason category and the note (masked) — never the values."""
    record: dict[str, Any] = {"key_id": p.key_id, "role": p.role.value, "fields": fields, "reason": reason}
    if note is not None:
        record["note"] = note
    unit.record(Tag.PII_REVEALED, debtor_id, record, p.institution_id)


# -- debts ------------------------------------------------------------------------------------------
def add_debt(unit: Unit, data: s.DebtIn) -> dm.Debt:
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    unit.require(dm.Debtor, data.debtor, kind="debtor", field="debtor")
    for g in data.guarantors:
        unit.require(dm.Debtor, g, kind="debtor", field="guarantors")
    row = dm.Debt(
        id=data.id,
        institution_id=data.institution,
        debtor_id=data.debtor,
        product=data.product,
        overdue_amount=data.overdue_amount,
        overdue_since=data.overdue_since,
        status=data.status,
        settled_at=unit.at if data.status == "settled" else None,
    )
    unit.new(row, "debt", data.id, Tag.DEBT_CREATED, data.model_dump(mode="json"), data.institution)
    unit.new_debt_placements[data.id] = []
    if data.guarantors:
        unit.session.flush()  # the debt row before the rows that refer to it
    for g in dict.fromkeys(data.guarantors):
        unit.session.add(dm.DebtGuarantor(debt_id=data.id, debtor_id=g))
    return row


def update_debt(unit: Unit, ident: str, changes: dict[str, Any]) -> dm.Debt:
    """Product and arrears; status changes through repayments, guarantors through `guarantors`."""
    row = unit.get(dm.Debt, ident, kind="debt")
    guarantors = changes.pop("guarantors", None)
    payload: dict[str, Any] = dict(changes)
    if guarantors is not None:
        for g in guarantors:
            unit.get(dm.Debtor, g, kind="debtor", field="guarantors")
        current = unit.session.execute(select(dm.DebtGuarantor).where(dm.DebtGuarantor.debt_id == ident)).scalars()
        for link in current:
            unit.session.delete(link)
        unit.session.flush()
        for g in dict.fromkeys(guarantors):
            unit.session.add(dm.DebtGuarantor(debt_id=ident, debtor_id=g))
        payload["guarantors"] = list(dict.fromkeys(guarantors))
    unit.update(row, Tag.DEBT_UPDATED, ident, changes, row.institution_id, payload)
    return row


# -- placements -------------------------------------------------------------------------------------
def add_placement(unit: Unit, data: s.PlacementIn, *, lock: bool = False) -> dm.Placement:
    """Place a debt with an agency. An overlapping placement of the same debt is refused (art. 17(三)).
    `lock`: serialise on the debt first (over the API, where two placements of one debt may race)."""
    debt = unit.get(dm.Debt, data.debt, kind="debt", field="debt")
    unit.require(m.Agency, data.agency, kind="agency", field="agency")
    if lock:
        unit.lock(dm.Debt.id, debt.id)
    refuse_overlap(unit, data.debt, data.from_, data.to)
    row = dm.Placement(debt_id=data.debt, agency_id=data.agency, valid_from=data.from_, valid_to=data.to)
    unit.session.add(row)
    if data.debt in unit.new_debt_placements:
        unit.new_debt_placements[data.debt].append(row)
    unit.record(Tag.PLACEMENT_CREATED, data.debt, data.model_dump(mode="json", by_alias=True), debt.institution_id)
    return row


def refuse_overlap(unit: Unit, debt_id: str, start: date, end: date, *, ignore: int | None = None) -> None:
    """INVARIANT: the placements of one debt never overlap (art. 17(三)); dates are inclusive."""
    overlap: dm.Placement | None
    if debt_id in unit.new_debt_placements and ignore is None:  # a debt created in this unit of work
        overlap = next((p for p in unit.new_debt_placements[debt_id]
                        if p.valid_from <= end and p.valid_to >= start), None)
    else:
        stmt = select(dm.Placement).where(
            dm.Placement.debt_id == debt_id, dm.Placement.valid_from <= end, dm.Placement.valid_to >= start
        )
        if ignore is not None:
            stmt = stmt.where(dm.Placement.id != ignore)
        overlap = unit.session.execute(stmt).scalars().first()
    if overlap is not None:
        raise Conflict(
            f"债务 {debt_id} 在 {overlap.valid_from}–{overlap.valid_to} 已委托给 {overlap.agency_id}，"
            f"同一期间只能委托一家催收机构（第17条第(三)款）",
            f"debt {debt_id} is already placed with {overlap.agency_id} for {overlap.valid_from}–"
            f"{overlap.valid_to}; one debt, one agency at a time (art. 17(三))",
            field="from",
            code=SINGLE_AGENCY,
        )


def update_placement(unit: Unit, placement_id: int, changes: dict[str, Any], *, lock: bool = False) -> dm.Placement:
    """Shorten or extend a placement; periods of one debt still never overlap (art. 17(三))."""
    row = unit.session.get(dm.Placement, placement_id)
    if row is None:
        raise NotFound("placement", str(placement_id))
    if lock:
        unit.lock(dm.Debt.id, row.debt_id)
    start, end = changes.get("valid_from", row.valid_from), changes.get("valid_to", row.valid_to)
    check_period(start, end, "to")
    refuse_overlap(unit, row.debt_id, start, end, ignore=row.id)
    debt = unit.get(dm.Debt, row.debt_id, kind="debt")
    unit.update(row, Tag.PLACEMENT_UPDATED, row.debt_id, changes, debt.institution_id, {"placement": row.id, **changes})
    return row


# -- what a debtor agreed (windows, caps) -----------------------------------------------------------
def add_debtor_agreement(unit: Unit, data: s.DebtorAgreementIn) -> dm.DebtorAgreement:
    unit.require(dm.Debtor, data.debtor, kind="debtor", field="debtor")
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    row = dm.DebtorAgreement(
        debtor_id=data.debtor,
        institution_id=data.institution,
        windows=[w.model_dump(by_alias=True, exclude_none=True) for w in data.windows],
        voice_cap=data.voice_cap,
        effective_call_cap=data.effective_call_cap,
        visit_cap=data.visit_cap,
        unreachable=data.unreachable.model_dump() if data.unreachable else None,
    )
    unit.session.add(row)
    unit.record(Tag.DEBTOR_AGREEMENT_CREATED, data.debtor, data.model_dump(mode="json", by_alias=True),
                data.institution)
    return row


def update_debtor_agreement(unit: Unit, agreement_id: int, changes: dict[str, Any]) -> dm.DebtorAgreement:
    row = unit.session.get(dm.DebtorAgreement, agreement_id)
    if row is None:
        raise NotFound("debtor agreement", str(agreement_id))
    unit.update(row, Tag.DEBTOR_AGREEMENT_UPDATED, row.debtor_id, changes, row.institution_id,
                {"debtor_agreement": row.id, **changes})
    return row


# == events that change what the gate decides: each locks the debtor first ===========================
def repayment(unit: Unit, data: RepaymentIn) -> EventOut:
    """An amount received, and/or the debt settled: collection stops at once, and the agency holding the debt
    today is told to stop (a stop notice, art. 11(五))."""
    debt = unit.get(dm.Debt, data.debt, kind="debt", field="debt")
    unit.lock(dm.Debtor.id, debt.debtor_id)
    debt = unit.fresh(dm.Debt, data.debt, kind="debt", field="debt")  # as committed before the lock
    if data.amount is not None:
        total = (debt.repaid_total or 0) + data.amount
        if total > MAX_TOTAL:
            raise InvalidInput(f"还款合计将超过上限 {MAX_TOTAL} 元", f"the repayments of this debt would total "
                               f"more than {MAX_TOTAL} yuan", field="amount", code="amount-too-large")
        debt.repaid_total = total
    detail: dict[str, Any] = {"amount": data.amount, "settled": data.settled}
    if data.settled and debt.status != DebtStatus.SETTLED:
        debt.status = DebtStatus.SETTLED
        debt.settled_at = unit.at
        detail["stop_notice_to"] = repo.holder(unit.session, debt, unit.at)
    seq = unit.record(Tag.DEBT_REPAYMENT_RECORDED, debt.id, detail, debt.institution_id)
    if detail.get("stop_notice_to"):
        notices.stop_notice(unit, debt.institution_id, detail["stop_notice_to"], debt.id, {"reason": "settled"})
    return EventOut(kind=Tag.DEBT_REPAYMENT_RECORDED, subject=debt.id, ledger_seq=seq, detail=detail)


def contact_refused(unit: Unit, data: ContactRefusedIn, *, institution: str | None = None) -> EventOut:
    """A contact refused further contact (art. 8(三)). `institution`: who recorded it (over the API); else every
    institution the contact's debtor owes. The refusal follows the number (registry/refusals.py)."""
    contact = unit.get(dm.Contact, data.contact, kind="contact", field="contact")
    unit.lock(dm.Debtor.id, contact.debtor_id)
    contact.refused = True
    contact.refused_at = unit.at
    concerned = [institution] if institution else tenancy.institutions_of_debtor(unit.session, contact.debtor_id)
    refusals.remember(unit.session, contact, concerned, unit.at)
    seq = unit.record_for(Tag.CONTACT_REFUSED, contact.id, {"debtor": contact.debtor_id}, concerned)
    return EventOut(kind=Tag.CONTACT_REFUSED, subject=contact.id, ledger_seq=seq)


def debtor_status(unit: Unit, data: DebtorStatusIn) -> EventOut:
    debtor = unit.get(dm.Debtor, data.debtor, kind="debtor", field="debtor")
    unit.lock(dm.Debtor.id, debtor.id)
    debtor.status = data.status
    debtor.status_reason = data.reason
    seq = unit.record_for(Tag.DEBTOR_STATUS_CHANGED, debtor.id, {"status": data.status, "reason": data.reason},
                          tenancy.institutions_of_debtor(unit.session, debtor.id))
    return EventOut(kind=Tag.DEBTOR_STATUS_CHANGED, subject=debtor.id, ledger_seq=seq)


def placement(unit: Unit, data: s.PlacementIn) -> EventOut:
    """Place a debt with an agency, serialised on the debt (overlaps: 409, art. 17(三))."""
    add_placement(unit, data, lock=True)
    seq = unit.session.info["last_ledger_seq"]
    return EventOut(kind=Tag.PLACEMENT_CREATED, subject=data.debt, ledger_seq=seq)

"""债务 Debts over HTTP: debtors, contacts, debts, placements, what a debtor agreed, and tenants' own references.

- Minimum necessary (art. 20(三)): an agency operator reads only the debts placed with its agency now, the
  debtors and contacts of those debts (masked name and phone, nothing else personal), and its own placements.
  Debts it reads carry no guarantor identities.
- Masked display (art. 19(二)3): personal data is masked for everyone; a role with `pii:reveal` may ask for the
  clear values of one debtor with a reason, and that reveal is itself a ledger event. Every masked read of
  debtors or contacts is recorded too (`privacy:pii:read`), so those reads are one write unit; every other
  read is one read-only unit, every change one write unit.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.api.common import (
    EVENTS,
    EventWriter,
    Limit,
    Page,
    PathId,
    Placer,
    Reader,
    RowId,
    Writer,
    institution_only,
    may_record,
    own_institution,
    page,
)
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.debts import repository as repo
from collectguard.debts import service
from collectguard.debts.models import Contact, Debt, Debtor
from collectguard.debts.schemas import (
    ContactCreate,
    ContactOut,
    ContactPatch,
    ContactRefusedIn,
    DebtCreate,
    DebtorAgreementOut,
    DebtorAgreementPatch,
    DebtorCreate,
    DebtorOut,
    DebtorPatch,
    DebtorStatusIn,
    DebtOut,
    DebtPatch,
    PlacementOut,
    PlacementPatch,
    RefOut,
    RepaymentIn,
)
from collectguard.errors import Conflict, Forbidden, InvalidInput, NotFound
from collectguard.fields import StrictDate
from collectguard.privacy.masking import mask_address, mask_id_number, mask_name, mask_phone
from collectguard.privacy.reveal import NOTE_MAX, RevealReason, clean_note
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.ids import PREFIXES
from collectguard.registry.personal import read_personal
from collectguard.registry.schemas import EventOut
from collectguard.rulebook.vocabulary import DebtorStatus, DebtStatus

router = APIRouter(prefix="/v1")
CENT = Decimal("0.01")


# -- row → answer -----------------------------------------------------------------------------------
def debtor_out(row: Debtor, p: Principal, *, reveal: bool = False) -> DebtorOut:
    clear = read_personal(row)
    base: dict[str, Any] = {"id": row.id, "institution_id": row.institution_id, "timezone": row.timezone,
                            "status": DebtorStatus(row.status)}
    if reveal:
        return DebtorOut(**base, name=clear["name"], phone=clear["phone"], id_number=clear.get("id_number"),
                         address=clear.get("address"), status_reason=row.status_reason, view="revealed")
    if p.agency_id is not None:
        return DebtorOut(**base, name=mask_name(clear["name"]), phone=mask_phone(clear["phone"]), id_number=None,
                         address=None, status_reason=None, view="agency")
    return DebtorOut(**base, name=mask_name(clear["name"]), phone=mask_phone(clear["phone"]),
                     id_number=mask_id_number(clear.get("id_number")), address=mask_address(clear.get("address")),
                     status_reason=row.status_reason, view="masked")


def contact_out(row: Contact) -> ContactOut:
    clear = read_personal(row)
    return ContactOut(id=row.id, debtor_id=row.debtor_id, relation=row.relation, name=mask_name(clear.get("name")),
                      phone=mask_phone(clear.get("phone")), refused=row.refused, refused_at=row.refused_at,
                      offers_to_repay=row.offers_to_repay)


def _cents(amount: Decimal | None) -> Decimal | None:
    """Money always with two decimals ("3200.50"), whether just written or read back."""
    return None if amount is None else Decimal(amount).quantize(CENT)


def debt_out(session: Session, p: Principal, row: Debt) -> DebtOut:
    return DebtOut(id=row.id, institution_id=row.institution_id, debtor_id=row.debtor_id, product=row.product,
                   overdue_amount=_cents(row.overdue_amount), overdue_since=row.overdue_since,
                   status=DebtStatus(row.status), settled_at=row.settled_at,
                   repaid_total=_cents(row.repaid_total) or Decimal("0.00"),
                   guarantors=None if p.agency_id is not None else repo.guarantors(session, row.id))


# == debtors =========================================================================================
DEBTORS: list[str | Enum] = ["registry 登记: debtors 债务人"]
DEBTOR_EXAMPLES = {"debtor": {"summary": "一位债务人（个人信息加密保存）A debtor (personal data encrypted at rest)",
                              "value": {"ref": "d100", "name": "张三", "phone": "13800138000",
                                        "id_number": "110101199003071234", "timezone": "Asia/Shanghai"}}}
_REASONS = "; ".join(f"{r.value} = {r.label}" for r in RevealReason)
Reason = Annotated[RevealReason | None, Query(description=f"查看明文的理由类别 why the clear values are needed: {_REASONS}")]
Note = Annotated[str | None, Query(max_length=NOTE_MAX, description=(
    f"理由补充（至多 {NOTE_MAX} 字，如工单号；号码会被脱敏后记入账本，勿写姓名）a short note, e.g. a ticket number "
    f"(at most {NOTE_MAX} characters; numbers are masked before it is recorded; write no names); "
    "required with reason=other"))]


@router.post("/debtors", response_model=DebtorOut, status_code=201, tags=DEBTORS, responses=ERRORS,
             summary="登记债务人 Register a debtor of the caller's institution")
def create_debtor(body: Annotated[DebtorCreate, Body(openapi_examples=DEBTOR_EXAMPLES)], p: Writer, units: UnitsDep,
                  at: Now) -> DebtorOut:
    data = body.with_new_id()
    with units.write(at) as unit:
        row = service.add_debtor(unit, data, institution=p.institution_id)
        tenancy.remember_ref(unit.session, p.institution_id, "debtor", body.ref, row.id)
        return debtor_out(row, p)


@router.get("/debtors/{debtor_id}", response_model=DebtorOut, tags=DEBTORS, responses=ERRORS,
            summary="查看债务人（默认脱敏）Read a debtor, masked unless revealed")
def get_debtor(
    debtor_id: PathId, p: Reader, units: UnitsDep, at: Now,
    reveal: Annotated[bool, Query(description="显示明文（需 pii:reveal 权限与理由，记入账本）clear values")] = False,
    reason: Reason = None,
    note: Note = None,
) -> DebtorOut:
    """Masked by default, and the read is recorded (`privacy:pii:read`). `reveal=true` with a `reason` category
    (and an optional short `note`) gives the clear values to a role holding `pii:reveal`; the reveal is recorded
    (`privacy:pii:revealed`) with the key, role, fields, the category and the note masked — never the values."""
    if reveal and not p.can(Permission.PII_REVEAL):
        raise Forbidden(f"角色 {p.role.value} 无权查看个人信息明文", f"role {p.role.value} may not reveal personal data")
    if reveal and reason is None:
        raise InvalidInput(f"查看明文须选择理由类别（{_REASONS}）", f"a reveal needs a reason category ({_REASONS})",
                           field="reason")
    cleaned = clean_note(note)
    if reveal and reason is RevealReason.OTHER and cleaned is None:
        raise InvalidInput("理由为“其他”时须填写补充说明 note", "reason=other needs a note saying why",
                           field="note")
    with units.write(at) as unit:  # the read is recorded: one write unit
        row = repo.debtor_visible(unit.session, p, debtor_id, at, field="debtor_id")
        out = debtor_out(row, p, reveal=reveal)
        if reveal:
            fields = [f for f in ("name", "phone", "id_number", "address") if getattr(out, f) is not None]
            service.record_reveal(unit, p, row.id, fields, str(reason), cleaned)
        else:
            service.record_read(unit, p, "debtor", [row.id])
        return out


@router.get("/debtors", response_model=Page[DebtorOut], tags=DEBTORS, responses=ERRORS,
            summary="债务人列表（脱敏）Debtors, masked")
def list_debtors(
    p: Reader, units: UnitsDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    status: Annotated[DebtorStatus | None, Query()] = None,
) -> Page[Any]:
    with units.write(at) as unit:  # the read is recorded: one write unit
        found = page(repo.debtors(unit.session, p, at, limit, offset, status=status), limit, offset,
                     lambda r: debtor_out(r, p))
        service.record_read(unit, p, "debtor", [d.id for d in found.items], subject="debtors")
        return found


@router.patch("/debtors/{debtor_id}", response_model=DebtorOut, tags=DEBTORS, responses=ERRORS,
              summary="修改债务人信息 Change a debtor's personal data or time zone")
def patch_debtor(debtor_id: PathId, body: DebtorPatch, p: Writer, units: UnitsDep, at: Now) -> DebtorOut:
    with units.write(at) as unit:
        repo.debtor_visible(unit.session, p, debtor_id, at, field="debtor_id")
        row = service.update_debtor(unit, debtor_id, body.changes(), institution=p.institution_id)
        return debtor_out(row, p)


# == contacts ========================================================================================
CONTACTS: list[str | Enum] = ["registry 登记: contacts 联系人"]
CONTACT_EXAMPLES = {"contact": {"summary": "债务人的同事 A colleague of the debtor", "value": {
    "ref": "k100", "debtor": "d100", "relation": "colleague", "name": "李四", "phone": "13900139000"}}}


@router.post("/contacts", response_model=ContactOut, status_code=201, tags=CONTACTS, responses=ERRORS,
             summary="登记联系人 Register a contact of a debtor")
def create_contact(body: Annotated[ContactCreate, Body(openapi_examples=CONTACT_EXAMPLES)], p: Writer,
                   units: UnitsDep, at: Now) -> ContactOut:
    data = body.with_new_id()
    with units.write(at) as unit:
        repo.debtor_visible(unit.session, p, body.debtor, at)
        row = service.add_contact(unit, data, institution=p.institution_id)
        tenancy.remember_ref(unit.session, p.institution_id, "contact", body.ref, row.id)
        return contact_out(row)


@router.get("/contacts/{contact_id}", response_model=ContactOut, tags=CONTACTS, responses=ERRORS,
            summary="查看联系人（脱敏）Read a contact, masked")
def get_contact(contact_id: PathId, p: Reader, units: UnitsDep, at: Now) -> ContactOut:
    with units.write(at) as unit:  # the read is recorded: one write unit
        row = repo.contact_visible(unit.session, p, contact_id, at)
        service.record_read(unit, p, "contact", [row.id])
        return contact_out(row)


@router.get("/contacts", response_model=Page[ContactOut], tags=CONTACTS, responses=ERRORS,
            summary="联系人列表（脱敏）Contacts, masked")
def list_contacts(
    p: Reader, units: UnitsDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
) -> Page[Any]:
    with units.write(at) as unit:  # the read is recorded: one write unit
        found = page(repo.contacts(unit.session, p, at, limit, offset, debtor=debtor), limit, offset, contact_out)
        service.record_read(unit, p, "contact", [c.id for c in found.items], subject="contacts")
        return found


@router.patch("/contacts/{contact_id}", response_model=ContactOut, tags=CONTACTS, responses=ERRORS,
              summary="修改联系人 Change a contact")
def patch_contact(contact_id: PathId, body: ContactPatch, p: Writer, units: UnitsDep, at: Now) -> ContactOut:
    with units.write(at) as unit:
        repo.contact_visible(unit.session, p, contact_id, at)
        return contact_out(service.update_contact(unit, contact_id, body.changes(), institution=p.institution_id))


# == debts ===========================================================================================
DEBTS: list[str | Enum] = ["registry 登记: debts 债务"]
DEBT_EXAMPLES = {"loan": {"summary": "逾期现金贷，附担保人 An overdue cash loan with a guarantor", "value": {
    "ref": "loan100", "institution": "bank", "debtor": "d100", "product": "cash-loan", "guarantors": ["d3"],
    "overdue_amount": "3200.00", "overdue_since": "2026-03-01"}}}


@router.post("/debts", response_model=DebtOut, status_code=201, tags=DEBTS, responses=ERRORS,
             summary="登记债务 Register a debt")
def create_debt(body: Annotated[DebtCreate, Body(openapi_examples=DEBT_EXAMPLES)], p: Writer, units: UnitsDep,
                at: Now) -> DebtOut:
    own_institution(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        repo.debtor_visible(unit.session, p, body.debtor, at)
        for g in body.guarantors:
            repo.debtor_visible(unit.session, p, g, at, field="guarantors")
        row = service.add_debt(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "debt", body.ref, row.id)
        unit.session.flush()
        return debt_out(unit.session, p, row)


@router.get("/debts/{debt_id}", response_model=DebtOut, tags=DEBTS, responses=ERRORS, summary="查看债务 Read a debt")
def get_debt(debt_id: PathId, p: Reader, units: UnitsDep, at: Now) -> DebtOut:
    with units.read() as session:
        return debt_out(session, p, repo.debt(session, p, debt_id, at, field="debt_id"))


@router.get("/debts", response_model=Page[DebtOut], tags=DEBTS, responses=ERRORS, summary="债务列表 Debts")
def list_debts(
    p: Reader, units: UnitsDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
    status: Annotated[DebtStatus | None, Query()] = None,
    product: Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]+$")] = None,
) -> Page[Any]:
    with units.read() as session:
        rows = repo.debts(session, p, at, limit, offset, debtor=debtor, status=status, product=product)
        return page(rows, limit, offset, lambda r: debt_out(session, p, r))


@router.patch("/debts/{debt_id}", response_model=DebtOut, tags=DEBTS, responses=ERRORS,
              summary="修改债务 Change product, arrears or guarantors")
def patch_debt(debt_id: PathId, body: DebtPatch, p: Writer, units: UnitsDep, at: Now) -> DebtOut:
    with units.write(at) as unit:
        repo.own_debt(unit.session, p, debt_id)
        for g in body.guarantors or []:
            repo.debtor_visible(unit.session, p, g, at, field="guarantors")
        return debt_out(unit.session, p, service.update_debt(unit, debt_id, body.changes()))


# == placements ======================================================================================
PLACEMENTS: list[str | Enum] = ["registry 登记: placements 委案"]


@router.get("/placements/{placement_id}", response_model=PlacementOut, tags=PLACEMENTS, responses=ERRORS,
            summary="查看委案 Read a placement (create: POST /v1/placements)")
def get_placement(placement_id: RowId, p: Reader, units: UnitsDep, at: Now) -> PlacementOut:
    with units.read() as session:
        return PlacementOut.model_validate(repo.placement(session, p, placement_id, at))


@router.get("/placements", response_model=Page[PlacementOut], tags=PLACEMENTS, responses=ERRORS,
            summary="委案列表 Placements")
def list_placements(
    p: Reader, units: UnitsDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debt: Annotated[s.Ident | None, Query()] = None,
    agency: Annotated[s.Ident | None, Query()] = None,
    active_on: Annotated[StrictDate | None, Query(description="在该日有效 in force on this day")] = None,
) -> Page[Any]:
    with units.read() as session:
        rows = repo.placements(session, p, at, limit, offset, debt=debt, agency=agency, active_on=active_on)
        return page(rows, limit, offset, PlacementOut.model_validate)


@router.patch("/placements/{placement_id}", response_model=PlacementOut, tags=PLACEMENTS, responses=ERRORS,
              summary="修改委案期间 Shorten or extend a placement (overlap → 409)")
def patch_placement(placement_id: RowId, body: PlacementPatch, p: Placer, units: UnitsDep, at: Now) -> PlacementOut:
    """Needs `placement:write`, as placing a debt (POST /v1/placements) does."""
    with units.write(at) as unit:
        repo.placement(unit.session, p, placement_id, at)
        row = service.update_placement(unit, placement_id, body.changes(), lock=True)
        return PlacementOut.model_validate(row)


# == debtor agreements ===============================================================================
DEBTOR_AGREEMENTS: list[str | Enum] = ["registry 登记: debtor agreements 与债务人的约定"]
DEBTOR_AGREEMENT_EXAMPLES = {"evenings": {"summary": "约定只在工作日晚上联系 Evenings on weekdays only", "value": {
    "debtor": "d1", "institution": "bank", "windows": [{"from": "18:00", "to": "20:00",
                                                         "days": ["mon", "tue", "wed", "thu", "fri"]}],
    "voice_cap": 1}}}
AGREED = "与债务人的约定 debtor agreements"


@router.post("/debtor-agreements", response_model=DebtorAgreementOut, status_code=201, tags=DEBTOR_AGREEMENTS,
             responses=ERRORS, summary="登记与债务人的约定 Record what a debtor agreed (windows, caps)")
def create_debtor_agreement(
    body: Annotated[s.DebtorAgreementIn, Body(openapi_examples=DEBTOR_AGREEMENT_EXAMPLES)], p: Writer,
    units: UnitsDep, at: Now,
) -> DebtorAgreementOut:
    own_institution(p, body.institution)
    with units.write(at) as unit:
        repo.debtor_visible(unit.session, p, body.debtor, at)
        exists = repo.debtor_agreement_of(unit.session, body.debtor, body.institution)
        if exists is not None:
            raise Conflict(f"债务人 {body.debtor} 已有约定（{exists}），请修改它",
                           f"debtor {body.debtor} already has an agreement ({exists}); PATCH it instead",
                           field="debtor", code="duplicate-id")
        row = service.add_debtor_agreement(unit, body)
        unit.session.flush()
        return DebtorAgreementOut.model_validate(row)


@router.get("/debtor-agreements/{agreement_id}", response_model=DebtorAgreementOut, tags=DEBTOR_AGREEMENTS,
            responses=ERRORS, summary="查看约定 Read a debtor agreement")
def get_debtor_agreement(agreement_id: RowId, p: Reader, units: UnitsDep) -> DebtorAgreementOut:
    institution_only(p, AGREED)
    with units.read() as session:
        return DebtorAgreementOut.model_validate(repo.debtor_agreement(session, p, agreement_id))


@router.get("/debtor-agreements", response_model=Page[DebtorAgreementOut], tags=DEBTOR_AGREEMENTS,
            responses=ERRORS, summary="约定列表 Debtor agreements")
def list_debtor_agreements(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
) -> Page[Any]:
    institution_only(p, AGREED)
    with units.read() as session:
        rows = repo.debtor_agreements(session, p, limit, offset, debtor=debtor)
        return page(rows, limit, offset, DebtorAgreementOut.model_validate)


@router.patch("/debtor-agreements/{agreement_id}", response_model=DebtorAgreementOut, tags=DEBTOR_AGREEMENTS,
              responses=ERRORS, summary="修改约定 Change a debtor agreement")
def patch_debtor_agreement(agreement_id: RowId, body: DebtorAgreementPatch, p: Writer, units: UnitsDep,
                           at: Now) -> DebtorAgreementOut:
    changes = body.changes()
    if "windows" in changes:
        changes["windows"] = [w.model_dump(by_alias=True, exclude_none=True) for w in body.windows or []]
    if changes.get("unreachable") is not None:
        changes["unreachable"] = body.unreachable.model_dump() if body.unreachable else None
    with units.write(at) as unit:
        institution_only(p, AGREED)
        repo.debtor_agreement(unit.session, p, agreement_id)
        return DebtorAgreementOut.model_validate(service.update_debtor_agreement(unit, agreement_id, changes))


# == a tenant's own references =======================================================================
refs = APIRouter(prefix="/v1/refs", tags=["registry 登记: references 引用"])
Kind = Literal["agency", "agreement", "collector", "tool", "template", "debtor", "contact", "debt", "evaluation",
               "inspection", "order", "staff"]
assert set(Kind.__args__) == set(PREFIXES)  # type: ignore[attr-defined]


@refs.get("/{kind}/{ref}", response_model=RefOut, summary="按本机构引用查找 Find an object by your own reference")
def find(kind: Annotated[Kind, Path()], ref: Annotated[s.Ident, Path()],
         p: Annotated[Principal, Depends(require(Permission.REGISTRY_READ))], units: UnitsDep) -> RefOut:
    """Only the caller's institution's references are searched: another tenant's reference is not found."""
    with units.read() as session:
        return RefOut(kind=kind, ref=ref, id=tenancy.resolve_ref(session, p.institution_id, kind, ref))


# == events: repayments, refusals, debtor status, placing a debt ====================================
@router.post("/repayments", response_model=EventOut, tags=EVENTS, summary="还款 Repayment (settled → stop at once)")
def repayment(body: RepaymentIn, p: EventWriter, units: UnitsDep, at: Now) -> EventOut:
    """Any event writer may report an amount received; `settled: true` (collection stops, the holding agency is
    told) needs `debt:settle`, which an agency operator or an integration key does not have."""
    if body.settled and not p.can(Permission.DEBT_SETTLE):
        raise Forbidden(f"角色 {p.role.value} 不能将债务登记为结清（debt:settle）",
                        f"role {p.role.value} may not mark a debt settled (debt:settle)")
    with units.write(at) as unit:
        repo.debt(unit.session, p, body.debt, at)
        return service.repayment(unit, body)


@router.post("/contact-refusals", response_model=EventOut, tags=EVENTS, summary="联系人拒绝 A contact refused")
def contact_refused(body: ContactRefusedIn, p: EventWriter, units: UnitsDep, at: Now) -> EventOut:
    with units.write(at) as unit:
        repo.contact_visible(unit.session, p, body.contact, at)
        return service.contact_refused(unit, body, institution=p.institution_id)


@router.post("/debtor-status", response_model=EventOut, tags=EVENTS, summary="债务人状态 Debtor status")
def debtor_status(body: DebtorStatusIn, p: EventWriter, units: UnitsDep, at: Now) -> EventOut:
    may_record(p, "debtor_status")
    with units.write(at) as unit:
        repo.debtor_visible(unit.session, p, body.debtor, at)
        return service.debtor_status(unit, body)


@router.post("/placements", response_model=EventOut, tags=EVENTS, summary="委案 Place a debt (overlaps → 409)")
def placement(body: s.PlacementIn, p: Placer, units: UnitsDep, at: Now) -> EventOut:
    """Needs `placement:write`, as changing a placement (PATCH /v1/placements/{id}) does."""
    with units.write(at) as unit:
        repo.debt(unit.session, p, body.debt, at)
        if agencies.listing(unit.session, p.institution_id, body.agency) is None:
            raise NotFound("agency", body.agency, field="agency")
        return service.placement(unit, body)

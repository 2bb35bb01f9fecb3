"""登记簿 The registry over HTTP: institutions, agencies, agreements, collectors, tools, templates, debtors,
contacts, debts, placements and debtor agreements — create, read, list, change.

Why this shape:
- Tenancy (art. 19(五)): every query is filtered to the caller's institution; anything else is a 404 that
  says no more than "not found", so nothing leaks that it exists.
- Minimum necessary (art. 20(三)): an agency operator reads only the debts placed with its agency now, the
  debtors and contacts of those debts (masked name and phone, nothing else personal), and its own
  collectors and tools. Debts it reads carry no guarantor identities.
- Masked display (art. 19(二)3): personal data is masked for everyone; a role with `pii:reveal` may ask for
  the clear values of one debtor with a reason, and that reveal is itself a ledger event. Every masked read
  of debtors or contacts is recorded too (`privacy:pii:read`).
- Every create and change goes through `Registry`, which appends `registry:<entity>:<action>` events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collectguard.api import scope
from collectguard.api.deps import GateDep, Now, StoreDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden
from collectguard.debts import service as debts_service
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.fields import (
    Address,
    Amount,
    Cap,
    Flag,
    IdNumber,
    LongText,
    Name,
    Phone,
    ShortText,
    StrictDate,
)
from collectguard.gate.schemas import TemplateApprovalIn, TemplateEditIn
from collectguard.gate.service import Gate
from collectguard.privacy.masking import mask_address, mask_id_number, mask_name, mask_phone
from collectguard.privacy.reveal import NOTE_MAX, RevealReason, clean_note
from collectguard.qa.templates import lint_template
from collectguard.registry import create as c
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.personal import read_personal
from collectguard.registry.service import Registry
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    DebtorStatus,
    DebtStatus,
)
from collectguard.templates import service as templates_service

router = APIRouter(prefix="/v1")
Reader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ))]
Writer = Annotated[Principal, Depends(require(Permission.REGISTRY_WRITE))]
Approver = Annotated[Principal, Depends(require(Permission.TEMPLATE_APPROVE))]
Placer = Annotated[Principal, Depends(require(Permission.PLACEMENT_WRITE))]
# An agency's people: the institution for its in-house collectors, the agency's own key for the agency's.
StaffWriter = Annotated[Principal, Depends(require(Permission.REGISTRY_WRITE, Permission.STAFF_WRITE))]
StaffReader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ, Permission.STAFF_WRITE))]
Limit = Annotated[int, Query(ge=1, le=500, description="每页条数 page size (1–500)")]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


# == output models ===================================================================================
class Page(BaseModel, Generic[T]):
    """One page of a list, with the total across all pages."""

    items: list[T]
    total: int
    limit: int
    offset: int


class InstitutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "bank", "name": "示例银行", "profile": "nifa-2024", "policy": {"voice_cap": 2}}]})
    id: str
    name: str | None
    profile: str
    policy: dict[str, Any]


class TemplateStatus(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回


class TemplateVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"version": 1, "text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App还款。", "sealed": False,
         "status": "pending"}]})
    version: int
    text: str
    sealed: bool
    status: TemplateStatus


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "t-sms", "institution_id": "bank", "audience": "debtor", "channel": "sms", "active": True,
         "current_version": 1, "current": {"version": 1, "text": "【示例银行】请按时还款。", "sealed": False,
                                           "status": "approved"}}]})
    id: str
    institution_id: str
    audience: Audience
    channel: Channel
    active: bool
    current_version: int
    current: TemplateVersionOut
    review_findings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="审核检查结果（提交时给出；有结果则不能批准）review findings on submission; approval is refused "
                    "while there are any (art. 15(一))")


class DebtorOut(BaseModel):
    """A debtor as the caller may see it. `view`: masked (default), revealed (audited), agency (minimum)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "d1", "institution_id": "bank", "name": "张*", "phone": "138****8000",
         "id_number": "110***********1234", "address": "北京市****", "timezone": "Asia/Shanghai",
         "status": "normal", "status_reason": None, "view": "masked"}]})
    id: str
    institution_id: str | None
    name: str | None
    phone: str | None
    id_number: str | None = Field(description="agency view: always null (art. 20(三))")
    address: str | None = Field(description="agency view: always null (art. 20(三))")
    timezone: str
    status: DebtorStatus
    status_reason: str | None
    view: Literal["masked", "revealed", "agency"]


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "k1", "debtor_id": "d1", "relation": "colleague", "name": "李*", "phone": "139****9000",
         "refused": False, "refused_at": None, "offers_to_repay": False}]})
    id: str
    debtor_id: str
    relation: str | None
    name: str | None = Field(description="always masked")
    phone: str | None = Field(description="always masked")
    refused: bool
    refused_at: AwareDatetime | None
    offers_to_repay: bool


class DebtOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "loan1", "institution_id": "bank", "debtor_id": "d1", "product": "cash-loan",
         "overdue_amount": "3200.00", "overdue_since": "2026-03-01", "status": "open", "settled_at": None,
         "repaid_total": "0.00", "guarantors": ["d9"]}]})
    id: str
    institution_id: str
    debtor_id: str
    product: str
    overdue_amount: Decimal | None = Field(description="元, a decimal string such as \"3200.00\"")
    overdue_since: date | None
    status: DebtStatus
    settled_at: AwareDatetime | None
    repaid_total: Decimal
    guarantors: list[str] | None = Field(description="担保人 ids; null for agency callers (art. 20(三))")


class PlacementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": 1, "debt_id": "loan1", "agency_id": "agA", "valid_from": "2026-05-01", "valid_to": "2026-06-30"}]})
    id: int
    debt_id: str
    agency_id: str
    valid_from: date
    valid_to: date


class DebtorAgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": 1, "debtor_id": "d1", "institution_id": "bank",
         "windows": [{"from": "18:00", "to": "20:00", "days": ["mon", "wed"]}], "voice_cap": 1,
         "effective_call_cap": None, "visit_cap": None, "unreachable": None}]})
    id: int
    debtor_id: str
    institution_id: str
    windows: list[s.WindowIn]
    voice_cap: int | None
    effective_call_cap: int | None
    visit_cap: int | None
    unreachable: s.UnreachableIn | None


# == change (PATCH) bodies ===========================================================================
# "Not sent": a field typed without None keeps its value when omitted and refuses an explicit null.
UNSET: Any = None
class Patch(s.Strict):
    """Only the fields sent change. `null` clears a field that may be empty; a field typed without null (a flag,
    a period's end) refuses it. The id never changes: an unknown field, `id` included, is a 422."""

    ATTRS: ClassVar[dict[str, str]] = {}  # body field → row attribute, where they differ

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        schema["minProperties"] = 1  # an empty change is refused (422)
        return schema

    def changes(self) -> dict[str, Any]:
        if not self.model_fields_set:
            raise InvalidInput("没有要修改的字段", "nothing to change: send at least one field", field=None)
        return {self.ATTRS.get(name, name): getattr(self, name) for name in sorted(self.model_fields_set)}


class InstitutionPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "示例银行股份有限公司"}]})
    name: Name | None = None


class TemplatePatch(Patch):
    """Whether the template is in use. New text is a new version: POST /v1/templates/{id}/versions."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})
    active: Flag = UNSET


class TemplateVersionIn(s.Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App或客服热线还款。"}]})
    text: LongText
    sealed: Flag | None = None


class DebtorPatch(Patch):
    """Personal fields and time zone. Status: POST /v1/debtor-status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13900139000"}]})
    name: Name | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = None
    address: Address | None = None
    timezone: s.TimeZoneName = UNSET


class ContactPatch(Patch):
    """Relation and personal fields. A refusal: POST /v1/contact-refusals."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"relation": "spouse", "offers_to_repay": True}]})
    relation: ShortText | None = None
    name: Name | None = None
    phone: Phone | None = None
    offers_to_repay: Flag = UNSET


class DebtPatch(Patch):
    """Product, arrears and guarantors. Repayments and settlement: POST /v1/repayments."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"overdue_amount": "3560.50",
                                                               "overdue_since": "2026-03-01"}]})
    product: str = Field(default=UNSET, min_length=1, max_length=100)
    overdue_amount: Amount | None = None
    overdue_since: StrictDate | None = None
    guarantors: s.IdentList = Field(default=UNSET, max_length=100)


class PlacementPatch(Patch):
    """Shorten (recall early) or extend a placement; it may not overlap another of the same debt."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "2026-05-31"}]})
    ATTRS = {"from_": "valid_from", "to": "valid_to"}
    from_: StrictDate = Field(default=UNSET, alias="from")
    to: StrictDate = UNSET


class DebtorAgreementPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"voice_cap": 1,
                                                               "windows": [{"from": "18:00", "to": "20:00"}]}]})
    windows: list[s.WindowIn] = Field(default=UNSET, max_length=50)
    voice_cap: Cap | None = None
    effective_call_cap: Cap | None = None
    visit_cap: Cap | None = None
    unreachable: s.UnreachableIn | None = None


# == helpers =========================================================================================
def _registry(session: Session, gate: Gate, at: datetime) -> Registry:
    return Registry(session, at=at, algorithm=gate.algorithm)


def _page(session: Session, stmt: Select[Any], order: list[Any], limit: int, offset: int,
          out: Any) -> Page[Any]:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return Page[Any](items=[out(r) for r in rows], total=total, limit=limit, offset=offset)


def _institution_only(p: Principal, what: str) -> None:
    """Families an agency operator does not need (art. 20(三)): the institution's own business."""
    if p.agency_id is not None:
        raise Forbidden(f"催收机构无权查看{what}", f"an agency may not read {what} (minimum necessary, art. 20(三))")


def _own_institution(p: Principal, institution: str, field: str = "institution") -> None:
    if institution != p.institution_id:
        raise NotFound("institution", institution, field=field)


def _tenant_row(session: Session, model: Any, ident: Any, p: Principal, kind: str) -> Any:
    row = session.get(model, ident)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound(kind, str(ident), field=kind)
    return row


def _record_read(registry: Registry, p: Principal, kind: str, ids: list[str], subject: str | None = None) -> None:
    """`privacy:pii:read`: who (key, role) read which records, masked. Never the values."""
    if ids:
        registry.record("privacy:pii:read", subject or ids[0],
                        {"key_id": p.key_id, "role": p.role.value, "entity": kind, "ids": ids}, p.institution_id)


# -- row → output -----------------------------------------------------------------------------------
def _template_out(session: Session, row: m.Template, *, review: bool = False) -> TemplateOut:
    """A template and its current version; on submission (`review`), with the findings of the same review
    checks that approval will run."""
    current = session.get(m.TemplateVersion, (row.id, row.current_version))
    assert current is not None
    findings = [f.to_output() for f in lint_template(current.text, row.audience, row.channel)] if review else []
    return TemplateOut(id=row.id, institution_id=row.institution_id, audience=Audience(row.audience),
                       channel=Channel(row.channel), active=row.active, current_version=row.current_version,
                       current=TemplateVersionOut.model_validate(current), review_findings=findings)


def _debtor_out(row: m.Debtor, p: Principal, *, reveal: bool = False) -> DebtorOut:
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


def _contact_out(row: m.Contact) -> ContactOut:
    clear = read_personal(row)
    return ContactOut(id=row.id, debtor_id=row.debtor_id, relation=row.relation, name=mask_name(clear.get("name")),
                      phone=mask_phone(clear.get("phone")), refused=row.refused, refused_at=row.refused_at,
                      offers_to_repay=row.offers_to_repay)


def _cents(amount: Decimal | None) -> Decimal | None:
    """Money always with two decimals ("3200.50"), whether just written or read back."""
    return None if amount is None else Decimal(amount).quantize(CENT)


def _debt_out(session: Session, p: Principal, row: m.Debt) -> DebtOut:
    guarantors = None
    if p.agency_id is None:
        guarantors = list(session.execute(select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id == row.id)
                                          .order_by(m.DebtGuarantor.debtor_id)).scalars())
    return DebtOut(id=row.id, institution_id=row.institution_id, debtor_id=row.debtor_id, product=row.product,
                   overdue_amount=_cents(row.overdue_amount), overdue_since=row.overdue_since, status=DebtStatus(row.status),
                   settled_at=row.settled_at, repaid_total=_cents(row.repaid_total) or Decimal("0.00"),
                   guarantors=guarantors)


# == institutions ====================================================================================
INSTITUTIONS: list[str | Enum] = ["registry 登记: institutions 机构"]


@router.get("/institutions", response_model=Page[InstitutionOut], tags=INSTITUTIONS, responses=ERRORS,
            summary="本机构 The caller's institution (a list of one)")
def list_institutions(p: Reader, store: StoreDep, limit: Limit = 50, offset: Offset = 0) -> Page[Any]:
    _institution_only(p, "机构信息 institution settings")
    with store.transaction() as session:
        stmt = select(m.Institution).where(m.Institution.id == p.institution_id)
        return _page(session, stmt, [m.Institution.id], limit, offset, InstitutionOut.model_validate)



@router.get("/institutions/{institution_id}", response_model=InstitutionOut, tags=INSTITUTIONS, responses=ERRORS,
            summary="查看本机构 Read the caller's institution")
def get_institution(institution_id: PathId, p: Reader, store: StoreDep) -> InstitutionOut:
    _institution_only(p, "机构信息 institution settings")
    _own_institution(p, institution_id, "institution_id")
    with store.transaction() as session:
        return InstitutionOut.model_validate(session.get(m.Institution, institution_id))


@router.patch("/institutions/{institution_id}", response_model=InstitutionOut, tags=INSTITUTIONS, responses=ERRORS,
              summary="修改本机构名称 Rename the caller's institution")
def patch_institution(institution_id: PathId, body: InstitutionPatch, p: Writer, store: StoreDep, gate: GateDep,
                      at: Now) -> InstitutionOut:
    _own_institution(p, institution_id, "institution_id")
    with store.transaction() as session:
        row = _registry(session, gate, at).update_institution(institution_id, body.changes())
        return InstitutionOut.model_validate(row)


# == templates =======================================================================================
TEMPLATES: list[str | Enum] = ["registry 登记: templates 话术模板"]
TEMPLATE_EXAMPLES = {"sms": {"summary": "短信提醒，待审批 An SMS reminder, pending approval", "value": {
    "ref": "t-sms-2", "institution": "bank", "audience": "debtor", "channel": "sms",
    "text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App还款。"}}}


def _template_row(session: Session, p: Principal, template_id: str) -> m.Template:
    _institution_only(p, "话术模板 templates")
    return _tenant_row(session, m.Template, template_id, p, "template")


@router.post("/templates", response_model=TemplateOut, status_code=201, tags=TEMPLATES, responses=ERRORS,
             summary="登记话术模板 Register a template (version 1, pending approval)")
def create_template(body: Annotated[c.TemplateCreate, Body(openapi_examples=TEMPLATE_EXAMPLES)], p: Writer,
                    store: StoreDep, gate: GateDep, at: Now) -> TemplateOut:
    """Over HTTP a template always starts pending: approval is a separate act by a role that may approve
    (POST /v1/templates/{id}/approve), so `approved: true` is refused rather than ignored."""
    _own_institution(p, body.institution)
    if body.approved:
        raise InvalidInput("模板须单独审批，请调用 /approve", "a template is approved separately: POST "
                           "/v1/templates/{id}/approve", field="approved")
    data = body.with_new_id()
    with store.transaction() as session:
        row = templates_service.add_template(_registry(session, gate, at), data)
        tenancy.remember_ref(session, p.institution_id, "template", body.ref, row.id)
        session.flush()
        return _template_out(session, row, review=True)


@router.get("/templates/{template_id}", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
            summary="查看模板 Read a template and its current version")
def get_template(template_id: PathId, p: Reader, store: StoreDep) -> TemplateOut:
    with store.transaction() as session:
        return _template_out(session, _template_row(session, p, template_id))


@router.get("/templates/{template_id}/versions", response_model=list[TemplateVersionOut], tags=TEMPLATES,
            responses=ERRORS, summary="模板版本 Every version of a template")
def list_template_versions(template_id: PathId, p: Reader, store: StoreDep) -> list[TemplateVersionOut]:
    with store.transaction() as session:
        _template_row(session, p, template_id)
        rows = session.execute(select(m.TemplateVersion).where(m.TemplateVersion.template_id == template_id)
                               .order_by(m.TemplateVersion.version)).scalars()
        return [TemplateVersionOut.model_validate(r) for r in rows]


@router.get("/templates", response_model=Page[TemplateOut], tags=TEMPLATES, responses=ERRORS,
            summary="模板列表 Templates")
def list_templates(
    p: Reader, store: StoreDep, limit: Limit = 50, offset: Offset = 0,
    audience: Annotated[Audience | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    status: Annotated[TemplateStatus | None, Query(description="当前版本状态 status of the current version")] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[Any]:
    _institution_only(p, "话术模板 templates")
    stmt = select(m.Template).where(m.Template.institution_id == p.institution_id)
    if audience is not None:
        stmt = stmt.where(m.Template.audience == audience)
    if channel is not None:
        stmt = stmt.where(m.Template.channel == channel)
    if active is not None:
        stmt = stmt.where(m.Template.active.is_(active))
    if status is not None:
        stmt = stmt.join(m.TemplateVersion, (m.TemplateVersion.template_id == m.Template.id)
                         & (m.TemplateVersion.version == m.Template.current_version)).where(
            m.TemplateVersion.status == status)
    with store.transaction() as session:
        return _page(session, stmt, [m.Template.id], limit, offset, lambda r: _template_out(session, r))


@router.patch("/templates/{template_id}", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
              summary="启用或停用模板 Take a template in or out of use")
def patch_template(template_id: PathId, body: TemplatePatch, p: Writer, store: StoreDep, gate: GateDep,
                   at: Now) -> TemplateOut:
    with store.transaction() as session:
        _template_row(session, p, template_id)
        row = templates_service.update_template(_registry(session, gate, at), template_id, body.changes())
        return _template_out(session, row)


@router.post("/templates/{template_id}/versions", response_model=TemplateOut, status_code=201, tags=TEMPLATES,
             responses=ERRORS, summary="新版本（待审批）A new version, pending approval (art. 15(一))")
def new_template_version(template_id: PathId, body: TemplateVersionIn, p: Writer, store: StoreDep, gate: GateDep,
                         at: Now) -> TemplateOut:
    with store.transaction() as session:
        _template_row(session, p, template_id)
    gate.edit_template(TemplateEditIn(template=template_id, text=body.text, sealed=body.sealed), at)
    with store.transaction() as session:
        return _template_out(session, _template_row(session, p, template_id), review=True)


def _decide_template(template_id: str, approved: bool, p: Principal, store: StoreDep, gate: GateDep,
                     at: datetime) -> TemplateOut:
    with store.transaction() as session:
        row = _template_row(session, p, template_id)
        current = session.get(m.TemplateVersion, (row.id, row.current_version))
        if current is None or current.status != TemplateStatus.PENDING:
            state = current.status if current else "missing"
            raise Conflict(f"模板 {template_id} 当前版本状态为 {state}，不是待审批",
                           f"template {template_id}'s current version is {state}, not pending",
                           field="template_id", code="template-not-pending")
    gate.template_approval(TemplateApprovalIn(template=template_id, approved=approved), at)
    with store.transaction() as session:
        return _template_out(session, _template_row(session, p, template_id))


@router.post("/templates/{template_id}/approve", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="批准当前版本 Approve the current version")
def approve_template(template_id: PathId, p: Approver, store: StoreDep, gate: GateDep, at: Now) -> TemplateOut:
    return _decide_template(template_id, True, p, store, gate, at)


@router.post("/templates/{template_id}/reject", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="驳回当前版本 Reject the current version")
def reject_template(template_id: PathId, p: Approver, store: StoreDep, gate: GateDep, at: Now) -> TemplateOut:
    return _decide_template(template_id, False, p, store, gate, at)


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
def create_debtor(body: Annotated[c.DebtorCreate, Body(openapi_examples=DEBTOR_EXAMPLES)], p: Writer, store: StoreDep,
                  gate: GateDep, at: Now) -> DebtorOut:
    data = body.with_new_id()
    with store.transaction() as session:
        row = debts_service.add_debtor(_registry(session, gate, at), data, institution=p.institution_id)
        tenancy.remember_ref(session, p.institution_id, "debtor", body.ref, row.id)
        return _debtor_out(row, p)


@router.get("/debtors/{debtor_id}", response_model=DebtorOut, tags=DEBTORS, responses=ERRORS,
            summary="查看债务人（默认脱敏）Read a debtor, masked unless revealed")
def get_debtor(
    debtor_id: PathId, p: Reader, store: StoreDep, gate: GateDep, at: Now,
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
    with store.transaction() as session:
        row = scope.debtor_visible(session, p, debtor_id, at, field="debtor_id")
        registry = _registry(session, gate, at)
        out = _debtor_out(row, p, reveal=reveal)
        if reveal:
            fields = [f for f in ("name", "phone", "id_number", "address") if getattr(out, f) is not None]
            record: dict[str, Any] = {"key_id": p.key_id, "role": p.role.value, "fields": fields,
                                      "reason": str(reason)}
            if cleaned is not None:
                record["note"] = cleaned
            registry.record("privacy:pii:revealed", row.id, record, p.institution_id)
        else:
            _record_read(registry, p, "debtor", [row.id])
        return out


@router.get("/debtors", response_model=Page[DebtorOut], tags=DEBTORS, responses=ERRORS,
            summary="债务人列表（脱敏）Debtors, masked")
def list_debtors(
    p: Reader, store: StoreDep, gate: GateDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    status: Annotated[DebtorStatus | None, Query()] = None,
) -> Page[Any]:
    with store.transaction() as session:
        stmt = select(m.Debtor).where(scope.debtor_filter(session, p, at))
        if status is not None:
            stmt = stmt.where(m.Debtor.status == status)
        page = _page(session, stmt, [m.Debtor.id], limit, offset, lambda r: _debtor_out(r, p))
        _record_read(_registry(session, gate, at), p, "debtor", [d.id for d in page.items], subject="debtors")
        return page


@router.patch("/debtors/{debtor_id}", response_model=DebtorOut, tags=DEBTORS, responses=ERRORS,
              summary="修改债务人信息 Change a debtor's personal data or time zone")
def patch_debtor(debtor_id: PathId, body: DebtorPatch, p: Writer, store: StoreDep, gate: GateDep,
                 at: Now) -> DebtorOut:
    with store.transaction() as session:
        scope.debtor_visible(session, p, debtor_id, at, field="debtor_id")
        return _debtor_out(debts_service.update_debtor(_registry(session, gate, at), debtor_id, body.changes(), institution=p.institution_id), p)


# == contacts ========================================================================================
CONTACTS: list[str | Enum] = ["registry 登记: contacts 联系人"]
CONTACT_EXAMPLES = {"contact": {"summary": "债务人的同事 A colleague of the debtor", "value": {
    "ref": "k100", "debtor": "d100", "relation": "colleague", "name": "李四", "phone": "13900139000"}}}


@router.post("/contacts", response_model=ContactOut, status_code=201, tags=CONTACTS, responses=ERRORS,
             summary="登记联系人 Register a contact of a debtor")
def create_contact(body: Annotated[c.ContactCreate, Body(openapi_examples=CONTACT_EXAMPLES)], p: Writer,
                   store: StoreDep, gate: GateDep, at: Now) -> ContactOut:
    data = body.with_new_id()
    with store.transaction() as session:
        scope.debtor_visible(session, p, body.debtor, at)
        row = debts_service.add_contact(_registry(session, gate, at), data, institution=p.institution_id)
        tenancy.remember_ref(session, p.institution_id, "contact", body.ref, row.id)
        return _contact_out(row)


@router.get("/contacts/{contact_id}", response_model=ContactOut, tags=CONTACTS, responses=ERRORS,
            summary="查看联系人（脱敏）Read a contact, masked")
def get_contact(contact_id: PathId, p: Reader, store: StoreDep, gate: GateDep, at: Now) -> ContactOut:
    with store.transaction() as session:
        row = scope.contact_visible(session, p, contact_id, at)
        _record_read(_registry(session, gate, at), p, "contact", [row.id])
        return _contact_out(row)


@router.get("/contacts", response_model=Page[ContactOut], tags=CONTACTS, responses=ERRORS,
            summary="联系人列表（脱敏）Contacts, masked")
def list_contacts(
    p: Reader, store: StoreDep, gate: GateDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
) -> Page[Any]:
    with store.transaction() as session:
        visible = select(m.Debtor.id).where(scope.debtor_filter(session, p, at))
        stmt = select(m.Contact).where(m.Contact.debtor_id.in_(visible))
        if debtor is not None:
            stmt = stmt.where(m.Contact.debtor_id == debtor)
        page = _page(session, stmt, [m.Contact.id], limit, offset, _contact_out)
        _record_read(_registry(session, gate, at), p, "contact", [c.id for c in page.items], subject="contacts")
        return page


@router.patch("/contacts/{contact_id}", response_model=ContactOut, tags=CONTACTS, responses=ERRORS,
              summary="修改联系人 Change a contact")
def patch_contact(contact_id: PathId, body: ContactPatch, p: Writer, store: StoreDep, gate: GateDep,
                  at: Now) -> ContactOut:
    with store.transaction() as session:
        scope.contact_visible(session, p, contact_id, at)
        return _contact_out(debts_service.update_contact(_registry(session, gate, at),
            contact_id, body.changes(), institution=p.institution_id))


# == debts ===========================================================================================
DEBTS: list[str | Enum] = ["registry 登记: debts 债务"]
DEBT_EXAMPLES = {"loan": {"summary": "逾期现金贷，附担保人 An overdue cash loan with a guarantor", "value": {
    "ref": "loan100", "institution": "bank", "debtor": "d100", "product": "cash-loan", "guarantors": ["d3"],
    "overdue_amount": "3200.00", "overdue_since": "2026-03-01"}}}


@router.post("/debts", response_model=DebtOut, status_code=201, tags=DEBTS, responses=ERRORS,
             summary="登记债务 Register a debt")
def create_debt(body: Annotated[c.DebtCreate, Body(openapi_examples=DEBT_EXAMPLES)], p: Writer, store: StoreDep,
                gate: GateDep, at: Now) -> DebtOut:
    _own_institution(p, body.institution)
    data = body.with_new_id()
    with store.transaction() as session:
        scope.debtor_visible(session, p, body.debtor, at)
        for g in body.guarantors:
            scope.debtor_visible(session, p, g, at, field="guarantors")
        row = debts_service.add_debt(_registry(session, gate, at), data)
        tenancy.remember_ref(session, p.institution_id, "debt", body.ref, row.id)
        session.flush()
        return _debt_out(session, p, row)


@router.get("/debts/{debt_id}", response_model=DebtOut, tags=DEBTS, responses=ERRORS, summary="查看债务 Read a debt")
def get_debt(debt_id: PathId, p: Reader, store: StoreDep, at: Now) -> DebtOut:
    with store.transaction() as session:
        return _debt_out(session, p, scope.debt(session, p, debt_id, at, field="debt_id"))


@router.get("/debts", response_model=Page[DebtOut], tags=DEBTS, responses=ERRORS, summary="债务列表 Debts")
def list_debts(
    p: Reader, store: StoreDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
    status: Annotated[DebtStatus | None, Query()] = None,
    product: Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]+$")] = None,
) -> Page[Any]:
    with store.transaction() as session:
        stmt = select(m.Debt).where(scope.debt_filter(session, p, at))
        if debtor is not None:
            stmt = stmt.where(m.Debt.debtor_id == debtor)
        if status is not None:
            stmt = stmt.where(m.Debt.status == status)
        if product is not None:
            stmt = stmt.where(m.Debt.product == product)
        return _page(session, stmt, [m.Debt.id], limit, offset, lambda r: _debt_out(session, p, r))


@router.patch("/debts/{debt_id}", response_model=DebtOut, tags=DEBTS, responses=ERRORS,
              summary="修改债务 Change product, arrears or guarantors")
def patch_debt(debt_id: PathId, body: DebtPatch, p: Writer, store: StoreDep, gate: GateDep, at: Now) -> DebtOut:
    with store.transaction() as session:
        _tenant_row(session, m.Debt, debt_id, p, "debt")
        for g in body.guarantors or []:
            scope.debtor_visible(session, p, g, at, field="guarantors")
        return _debt_out(session, p, debts_service.update_debt(_registry(session, gate, at), debt_id, body.changes()))


# == placements ======================================================================================
PLACEMENTS: list[str | Enum] = ["registry 登记: placements 委案"]


def _placement_row(session: Session, p: Principal, placement_id: int, at: datetime) -> m.Placement:
    row = session.get(m.Placement, placement_id)
    if row is None:
        raise NotFound("placement", str(placement_id), field="placement_id")
    try:
        scope.debt(session, p, row.debt_id, at)
    except NotFound:
        raise NotFound("placement", str(placement_id), field="placement_id") from None
    if p.agency_id is not None and row.agency_id != scope.entrusted_agency(session, p):
        raise NotFound("placement", str(placement_id), field="placement_id")
    return row


@router.get("/placements/{placement_id}", response_model=PlacementOut, tags=PLACEMENTS, responses=ERRORS,
            summary="查看委案 Read a placement (create: POST /v1/placements)")
def get_placement(placement_id: RowId, p: Reader, store: StoreDep, at: Now) -> PlacementOut:
    with store.transaction() as session:
        return PlacementOut.model_validate(_placement_row(session, p, placement_id, at))


@router.get("/placements", response_model=Page[PlacementOut], tags=PLACEMENTS, responses=ERRORS,
            summary="委案列表 Placements")
def list_placements(
    p: Reader, store: StoreDep, at: Now, limit: Limit = 50, offset: Offset = 0,
    debt: Annotated[s.Ident | None, Query()] = None,
    agency: Annotated[s.Ident | None, Query()] = None,
    active_on: Annotated[StrictDate | None, Query(description="在该日有效 in force on this day")] = None,
) -> Page[Any]:
    with store.transaction() as session:
        debts = select(m.Debt.id).where(scope.debt_filter(session, p, at))
        stmt = select(m.Placement).where(m.Placement.debt_id.in_(debts))
        if p.agency_id is not None:  # only its own current placements
            today = local_date(at, SHANGHAI)
            stmt = stmt.where(m.Placement.agency_id == scope.entrusted_agency(session, p),
                              m.Placement.valid_from <= today + timedelta(days=1),
                              m.Placement.valid_to >= today - timedelta(days=1))
        if debt is not None:
            stmt = stmt.where(m.Placement.debt_id == debt)
        if agency is not None:
            stmt = stmt.where(m.Placement.agency_id == agency)
        if active_on is not None:
            stmt = stmt.where(m.Placement.valid_from <= active_on, m.Placement.valid_to >= active_on)
        return _page(session, stmt, [m.Placement.debt_id, m.Placement.valid_from, m.Placement.id], limit, offset,
                     PlacementOut.model_validate)


@router.patch("/placements/{placement_id}", response_model=PlacementOut, tags=PLACEMENTS, responses=ERRORS,
              summary="修改委案期间 Shorten or extend a placement (overlap → 409)")
def patch_placement(placement_id: RowId, body: PlacementPatch, p: Placer, store: StoreDep, gate: GateDep,
                    at: Now) -> PlacementOut:
    """Needs `placement:write`, as placing a debt (POST /v1/placements) does."""
    with store.transaction() as session:
        _placement_row(session, p, placement_id, at)
        row = debts_service.update_placement(_registry(session, gate, at), placement_id, body.changes(), lock=True)
        return PlacementOut.model_validate(row)


# == debtor agreements ===============================================================================
DEBTOR_AGREEMENTS: list[str | Enum] = ["registry 登记: debtor agreements 与债务人的约定"]
DEBTOR_AGREEMENT_EXAMPLES = {"evenings": {"summary": "约定只在工作日晚上联系 Evenings on weekdays only", "value": {
    "debtor": "d1", "institution": "bank", "windows": [{"from": "18:00", "to": "20:00",
                                                         "days": ["mon", "tue", "wed", "thu", "fri"]}],
    "voice_cap": 1}}}


def _debtor_agreement_row(session: Session, p: Principal, agreement_id: int) -> m.DebtorAgreement:
    _institution_only(p, "与债务人的约定 debtor agreements")
    return _tenant_row(session, m.DebtorAgreement, agreement_id, p, "debtor agreement")


@router.post("/debtor-agreements", response_model=DebtorAgreementOut, status_code=201, tags=DEBTOR_AGREEMENTS,
             responses=ERRORS, summary="登记与债务人的约定 Record what a debtor agreed (windows, caps)")
def create_debtor_agreement(
    body: Annotated[s.DebtorAgreementIn, Body(openapi_examples=DEBTOR_AGREEMENT_EXAMPLES)], p: Writer,
    store: StoreDep, gate: GateDep, at: Now,
) -> DebtorAgreementOut:
    _own_institution(p, body.institution)
    with store.transaction() as session:
        scope.debtor_visible(session, p, body.debtor, at)
        exists = session.execute(select(m.DebtorAgreement.id).where(
            m.DebtorAgreement.debtor_id == body.debtor, m.DebtorAgreement.institution_id == body.institution)).scalar()
        if exists is not None:
            raise Conflict(f"债务人 {body.debtor} 已有约定（{exists}），请修改它",
                           f"debtor {body.debtor} already has an agreement ({exists}); PATCH it instead",
                           field="debtor", code="duplicate-id")
        row = debts_service.add_debtor_agreement(_registry(session, gate, at), body)
        session.flush()
        return DebtorAgreementOut.model_validate(row)


@router.get("/debtor-agreements/{agreement_id}", response_model=DebtorAgreementOut, tags=DEBTOR_AGREEMENTS,
            responses=ERRORS, summary="查看约定 Read a debtor agreement")
def get_debtor_agreement(agreement_id: RowId, p: Reader, store: StoreDep) -> DebtorAgreementOut:
    with store.transaction() as session:
        return DebtorAgreementOut.model_validate(_debtor_agreement_row(session, p, agreement_id))


@router.get("/debtor-agreements", response_model=Page[DebtorAgreementOut], tags=DEBTOR_AGREEMENTS,
            responses=ERRORS, summary="约定列表 Debtor agreements")
def list_debtor_agreements(
    p: Reader, store: StoreDep, limit: Limit = 50, offset: Offset = 0,
    debtor: Annotated[s.Ident | None, Query()] = None,
) -> Page[Any]:
    _institution_only(p, "与债务人的约定 debtor agreements")
    stmt = select(m.DebtorAgreement).where(m.DebtorAgreement.institution_id == p.institution_id)
    if debtor is not None:
        stmt = stmt.where(m.DebtorAgreement.debtor_id == debtor)
    with store.transaction() as session:
        return _page(session, stmt, [m.DebtorAgreement.id], limit, offset, DebtorAgreementOut.model_validate)


@router.patch("/debtor-agreements/{agreement_id}", response_model=DebtorAgreementOut, tags=DEBTOR_AGREEMENTS,
              responses=ERRORS, summary="修改约定 Change a debtor agreement")
def patch_debtor_agreement(agreement_id: RowId, body: DebtorAgreementPatch, p: Writer, store: StoreDep,
                           gate: GateDep, at: Now) -> DebtorAgreementOut:
    changes = body.changes()
    if "windows" in changes:
        changes["windows"] = [w.model_dump(by_alias=True, exclude_none=True) for w in body.windows or []]
    if changes.get("unreachable") is not None:
        changes["unreachable"] = body.unreachable.model_dump() if body.unreachable else None
    with store.transaction() as session:
        _debtor_agreement_row(session, p, agreement_id)
        row = debts_service.update_debtor_agreement(_registry(session, gate, at), agreement_id, changes)
        return DebtorAgreementOut.model_validate(row)

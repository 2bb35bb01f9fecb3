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

from datetime import datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collectguard.api.deps import GateDep, Now, StoreDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden
from collectguard.errors import InvalidInput, NotFound
from collectguard.fields import (
    Flag,
    LongText,
)
from collectguard.gate.schemas import TemplateApprovalIn, TemplateDecisionIn, TemplateEditIn
from collectguard.gate.service import Gate
from collectguard.qa.templates import lint_template
from collectguard.registry import create as c
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.service import Registry
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
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


class TemplatePatch(Patch):
    """Whether the template is in use. New text is a new version: POST /v1/templates/{id}/versions."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})
    active: Flag = UNSET


class TemplateVersionIn(s.Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App或客服热线还款。"}]})
    text: LongText
    sealed: Flag | None = None


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


def _decide_template(template_id: str, approved: bool, version: int | None, p: Principal, store: StoreDep,
                     gate: GateDep, at: datetime) -> TemplateOut:
    """The version named is linted (approval), checked to be the current one and pending, and decided in one
    transaction with the template locked (Gate.template_approval): an edit never slips in between."""
    with store.transaction() as session:
        _template_row(session, p, template_id)  # another tenant's template is not found
    gate.template_approval(TemplateApprovalIn(template=template_id, approved=approved, version=version), at,
                           pending_only=True)
    with store.transaction() as session:
        return _template_out(session, _template_row(session, p, template_id))


@router.post("/templates/{template_id}/approve", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="批准所审阅的版本 Approve the version reviewed (it must still be the current one)")
def approve_template(template_id: PathId, body: TemplateDecisionIn, p: Approver, store: StoreDep, gate: GateDep,
                     at: Now) -> TemplateOut:
    """Name the version you reviewed: `{"version": N}`. If the template was edited since (its current version
    is no longer N), nothing is approved: 409 `template-version-changed`. The review checks run on version N
    in the same transaction; with findings, 409 `template-lint-failed` and the version stays pending."""
    return _decide_template(template_id, True, body.version, p, store, gate, at)


@router.post("/templates/{template_id}/reject", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="驳回当前版本 Reject the current version")
def reject_template(template_id: PathId, p: Approver, store: StoreDep, gate: GateDep, at: Now,
                    body: Annotated[TemplateDecisionIn | None, Body()] = None) -> TemplateOut:
    """`{"version": N}` is optional here: with it, a newer current version is a 409 `template-version-changed`."""
    return _decide_template(template_id, False, body.version if body else None, p, store, gate, at)

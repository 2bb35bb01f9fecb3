"""话术模板 Templates over HTTP: register, read, list, take in or out of use, new versions, approve and reject
(art. 15(一)). Templates are the institution's own business: agencies never read them.

Every read is one read-only unit and every change one write unit: a new version, or a decision (its review
checks, its version check and the decision itself, under the template's lock), is one transaction, so no edit
lands between a review and its approval (issue 10, items 4 and 11)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from collectguard.api.common import (
    Approver,
    Limit,
    Page,
    PathId,
    Reader,
    Writer,
    institution_only,
    own_institution,
    page,
)
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Principal
from collectguard.errors import InvalidInput
from collectguard.qa.templates import lint_template
from collectguard.registry import tenancy
from collectguard.registry.unit import Units
from collectguard.rulebook.vocabulary import Audience, Channel
from collectguard.templates import repository as repo
from collectguard.templates import service
from collectguard.templates.models import Template
from collectguard.templates.schemas import (
    TemplateApprovalIn,
    TemplateCreate,
    TemplateDecisionIn,
    TemplateEditIn,
    TemplateOut,
    TemplatePatch,
    TemplateStatus,
    TemplateVersionIn,
    TemplateVersionOut,
)

router = APIRouter(prefix="/v1")
TEMPLATES: list[str | Enum] = ["registry 登记: templates 话术模板"]
TEMPLATE_EXAMPLES = {"sms": {"summary": "短信提醒，待审批 An SMS reminder, pending approval", "value": {
    "ref": "t-sms-2", "institution": "bank", "audience": "debtor", "channel": "sms",
    "text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App还款。"}}}
OWN = "话术模板 templates"


def template_out(session: Session, row: Template, *, review: bool = False) -> TemplateOut:
    """A template and its current version; on submission (`review`), with the findings of the same review
    checks that approval will run."""
    current = repo.current_version(session, row)
    findings = [f.to_output() for f in lint_template(current.text, row.audience, row.channel)] if review else []
    return TemplateOut(id=row.id, institution_id=row.institution_id, audience=Audience(row.audience),
                       channel=Channel(row.channel), active=row.active, current_version=row.current_version,
                       current=TemplateVersionOut.model_validate(current), review_findings=findings)


def _own(session: Session, p: Principal, template_id: str) -> Template:
    institution_only(p, OWN)
    return repo.own(session, p, template_id)


@router.post("/templates", response_model=TemplateOut, status_code=201, tags=TEMPLATES, responses=ERRORS,
             summary="登记话术模板 Register a template (version 1, pending approval)")
def create_template(body: Annotated[TemplateCreate, Body(openapi_examples=TEMPLATE_EXAMPLES)], p: Writer,
                    units: UnitsDep, at: Now) -> TemplateOut:
    """Over HTTP a template always starts pending: approval is a separate act by a role that may approve
    (POST /v1/templates/{id}/approve), so `approved: true` is refused rather than ignored."""
    own_institution(p, body.institution)
    if body.approved:
        raise InvalidInput("模板须单独审批，请调用 /approve", "a template is approved separately: POST "
                           "/v1/templates/{id}/approve", field="approved")
    data = body.with_new_id()
    with units.write(at) as unit:
        row = service.add_template(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "template", body.ref, row.id)
        unit.session.flush()
        return template_out(unit.session, row, review=True)


@router.get("/templates/{template_id}", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
            summary="查看模板 Read a template and its current version")
def get_template(template_id: PathId, p: Reader, units: UnitsDep) -> TemplateOut:
    with units.read() as session:
        return template_out(session, _own(session, p, template_id))


@router.get("/templates/{template_id}/versions", response_model=list[TemplateVersionOut], tags=TEMPLATES,
            responses=ERRORS, summary="模板版本 Every version of a template")
def list_template_versions(template_id: PathId, p: Reader, units: UnitsDep) -> list[TemplateVersionOut]:
    with units.read() as session:
        _own(session, p, template_id)
        return [TemplateVersionOut.model_validate(r) for r in repo.versions(session, template_id)]


@router.get("/templates", response_model=Page[TemplateOut], tags=TEMPLATES, responses=ERRORS,
            summary="模板列表 Templates")
def list_templates(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    audience: Annotated[Audience | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    status: Annotated[TemplateStatus | None, Query(description="当前版本状态 status of the current version")] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[Any]:
    institution_only(p, OWN)
    with units.read() as session:
        rows = repo.templates(session, p, limit, offset, audience=audience, channel=channel, status=status,
                              active=active)
        return page(rows, limit, offset, lambda r: template_out(session, r))


@router.patch("/templates/{template_id}", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
              summary="启用或停用模板 Take a template in or out of use")
def patch_template(template_id: PathId, body: TemplatePatch, p: Writer, units: UnitsDep, at: Now) -> TemplateOut:
    with units.write(at) as unit:
        _own(unit.session, p, template_id)
        row = service.update_template(unit, template_id, body.changes())
        return template_out(unit.session, row)


@router.post("/templates/{template_id}/versions", response_model=TemplateOut, status_code=201, tags=TEMPLATES,
             responses=ERRORS, summary="新版本（待审批）A new version, pending approval (art. 15(一))")
def new_template_version(template_id: PathId, body: TemplateVersionIn, p: Writer, units: UnitsDep,
                         at: Now) -> TemplateOut:
    with units.write(at) as unit:
        template = _own(unit.session, p, template_id)
        service.edit(unit, TemplateEditIn(template=template_id, text=body.text, sealed=body.sealed))
        return template_out(unit.session, template, review=True)


def _decide(template_id: str, approved: bool, version: int | None, p: Principal, units: Units,
            at: Any) -> TemplateOut:
    """The version named is linted (approval), checked to be the current one and pending, and decided in one
    transaction with the template locked: an edit never slips in between. A refusal by the review checks is
    committed (it is part of the record) before its 409 is answered."""
    with units.write(at) as unit:
        template = _own(unit.session, p, template_id)  # another tenant's template is not found
        event = service.decide(unit, TemplateApprovalIn(template=template_id, approved=approved, version=version),
                               pending_only=True)
        out = template_out(unit.session, template)
    refused = service.refusal(event)
    if refused is not None:
        raise refused
    return out


@router.post("/templates/{template_id}/approve", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="批准所审阅的版本 Approve the version reviewed (it must still be the current one)")
def approve_template(template_id: PathId, body: TemplateDecisionIn, p: Approver, units: UnitsDep,
                     at: Now) -> TemplateOut:
    """Name the version you reviewed: `{"version": N}`. If the template was edited since (its current version
    is no longer N), nothing is approved: 409 `template-version-changed`. The review checks run on version N
    in the same transaction; with findings, 409 `template-lint-failed` and the version stays pending."""
    return _decide(template_id, True, body.version, p, units, at)


@router.post("/templates/{template_id}/reject", response_model=TemplateOut, tags=TEMPLATES, responses=ERRORS,
             summary="驳回当前版本 Reject the current version")
def reject_template(template_id: PathId, p: Approver, units: UnitsDep, at: Now,
                    body: Annotated[TemplateDecisionIn | None, Body()] = None) -> TemplateOut:
    """`{"version": N}` is optional here: with it, a newer current version is a 409 `template-version-changed`."""
    return _decide(template_id, False, body.version if body else None, p, units, at)

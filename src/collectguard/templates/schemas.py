"""What the templates' endpoints and events accept and answer. The setup model (`TemplateIn`) is the registry's
shared vocabulary (registry/schemas.py); over HTTP the server makes the id."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from collectguard.fields import WHOLE, Flag, LongText
from collectguard.registry import schemas as s
from collectguard.registry.create import ServerMade
from collectguard.registry.schemas import Ident, Strict
from collectguard.rulebook.vocabulary import Audience, Channel


class TemplateCreate(ServerMade, s.TemplateIn):
    id_kind = "template"
    setup = s.TemplateIn


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


class TemplatePatch(s.Patch):
    """Whether the template is in use. New text is a new version: POST /v1/templates/{id}/versions."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})
    active: Flag = s.UNSET


class TemplateVersionIn(s.Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App或客服热线还款。"}]})
    text: LongText
    sealed: Flag | None = None


# == events (scenario steps; over HTTP: POST /v1/templates/{id}/versions, /approve, /reject) ==========
VERSION = ("所审批的版本号：须仍为当前版本，否则 409 template-version-changed the version decided: it must still be "
           "the template's current one (409 template-version-changed otherwise)")


class TemplateApprovalIn(Strict):
    template: Ident
    approved: Flag
    # The version decided; None (scenario files, the platform): the current one, whichever it is.
    version: int | None = Field(default=None, ge=1, le=2_147_483_647, strict=True, description=VERSION)


class TemplateDecisionIn(Strict):
    """The body of POST /v1/templates/{id}/approve and /reject: the version the reviewer read."""

    # A whole number as the document says it (2 or 2.0), never true, "2" or 2.5 (collectguard.fields.WHOLE).
    version: Annotated[int, Field(ge=1, le=2_147_483_647), WHOLE] = Field(description=VERSION)


class TemplateEditIn(Strict):
    template: Ident
    text: LongText
    sealed: Flag | None = None

"""What complaints accept and answer. The step payloads of OVERSIGHT.md (`complaint`, `complaint_assign`,
`complaint_resolved`) are the models below; the API adds what a person types into an intake form."""

from __future__ import annotations

import secrets
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from collectguard.fields import Flag, LongText, Name, Note, Phone, ShortText
from collectguard.registry.create import ServerMade
from collectguard.registry.schemas import Ident, Strict


class ComplaintChannel(StrEnum):
    PHONE = "phone"  # 电话
    EMAIL = "email"  # 电子邮件
    LETTER = "letter"  # 信函
    WEB = "web"  # 网页表单（公开页）
    REGULATOR = "regulator"  # 监管转办


class ProxyIn(Strict):
    """A complaint made for the debtor by someone else (代理投诉, art. 22): with or without valid authorisation."""

    name: Name
    authorisation: Flag = Field(description="是否有有效授权 whether a valid authorisation was shown")


class ComplaintIn(Strict):
    id: Ident
    institution: Ident
    debtor: Ident | None = None
    agency: Ident | None = Field(default=None, description="被投诉的合作机构 the agency complained about")
    collector: Ident | None = Field(default=None, description="被投诉的催收员 the collector complained about")
    channel: ComplaintChannel
    proxy: ProxyIn | None = None
    # Beyond the scenario format: what the complainant said and how to reach them (personal data, encrypted at
    # rest, purged with the debtor's records).
    complainant_name: Name | None = None
    complainant_phone: Phone | None = None
    complainant_email: ShortText | None = None
    payment_account: ShortText | None = Field(default=None, description="投诉中出现的收款账户 a payment account "
                                                                        "named in the complaint")
    text: LongText | None = Field(default=None, description="投诉内容 what the complainant says")
    note: Note | None = None


class ComplaintAssignIn(Strict):
    complaint: Ident
    investigator: Ident = Field(description="调查人：工作人员或催收员编号 a staff or collector id")


class ComplaintResolvedIn(Strict):
    complaint: Ident
    root_cause: Note | None = Field(default=None, description="根本原因：规则编号或文字 a rule id or free text")
    result: Note | None = Field(default=None, description="告知投诉人的处理结果 the result told to the complainant")


class ComplaintStatus(StrEnum):
    REGISTERED = "registered"  # 登记
    VERIFIED = "verified"  # 核实
    INVESTIGATING = "investigating"  # 调查
    RESOLVED = "resolved"  # 告知结果


class ComplaintVerifyIn(Strict):
    """Registration → verification: the complainant's identity (and a proxy's authorisation) checked."""

    complaint: Ident
    proxy_authorised: Flag | None = Field(default=None, description="代理人事后出示有效授权 a proxy showed a valid "
                                                                    "authorisation after all (clears the warning)")
    note: Note | None = None


class ComplaintExtendIn(Strict):
    complaint: Ident
    due_date: date = Field(description="延长后的答复期限（机构本地日期）the new last day of the answer (local date)")
    reason: Note = Field(min_length=1, description="延期理由（必填）why the answer needs longer (required)")


# -- what the API accepts (the server makes the complaint's id; the path names the complaint) -----------------
class ComplaintCreate(ServerMade, ComplaintIn):
    id_kind = "complaint"
    setup = ComplaintIn

    def with_new_id(self) -> Any:
        fields = self.model_dump(by_alias=True, exclude={"id", "ref"})
        return ComplaintIn.model_validate({**fields, "id": f"cmp_{secrets.token_hex(10)}"})


class VerifyBody(Strict):
    proxy_authorised: Flag | None = Field(default=None, description="代理人出示了有效授权 the proxy showed a valid "
                                                                    "authorisation")
    note: Note | None = None


class AssignBody(Strict):
    investigator: Ident = Field(description="调查人：工作人员或催收员编号 a staff or collector id")


class ExtendBody(Strict):
    due_date: date = Field(description="延长后的答复期限 the new last day of the answer (local date)")
    reason: Note = Field(min_length=1, description="延期理由 why the answer needs longer")


class ResolveBody(Strict):
    root_cause: Note | None = Field(default=None, description="根本原因：规则编号或文字 a rule id or free text")
    result: Note | None = Field(default=None, description="告知投诉人的处理结果 the result told to the complainant")


EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
# One way to answer: a phone number or an e-mail address (the schema says so too).
ONE_CONTACT: dict[str, Any] = {"anyOf": [
    {"required": ["complainant_phone"], "properties": {"complainant_phone": {"type": "string", "maxLength": 64}}},
    {"required": ["complainant_email"], "properties": {"complainant_email": {"type": "string", "maxLength": 64}}}]}


class PublicComplaintIn(Strict):
    """What the public web form sends (art. 23): no key; channel `web`; a phone or an e-mail to answer to. A
    complaint made for someone else (代理) gives `proxy_name`: an authorisation cannot be checked online, so the
    complainant is warned at once. An agency name not on today's list is kept as a note (the complaint is never
    refused for it)."""

    model_config = ConfigDict(json_schema_extra=ONE_CONTACT)

    complainant_name: Name | None = None
    complainant_phone: Phone | None = None
    complainant_email: Annotated[str, Field(max_length=64, pattern=EMAIL_PATTERN)] | None = None
    agency_name: Name | None = Field(default=None, description="被投诉的合作机构名称（按公示名单）the agency "
                                                               "complained about, by its name on the public list")
    proxy_name: Name | None = Field(default=None, description="代他人投诉时填写本人姓名 your name, when you complain "
                                                              "for someone else")
    text: LongText = Field(description="投诉内容 what happened")

    @model_validator(mode="after")
    def _one_contact(self) -> PublicComplaintIn:
        if not (self.complainant_phone or self.complainant_email):
            raise ValueError("请留下电话或邮箱以便答复 / leave a phone number or an e-mail address for the answer")
        return self


# -- what it answers (personal data masked) -------------------------------------------------------------------
class ComplaintStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    n: int
    step: str
    at: AwareDatetime
    day: date
    actor: str | None
    detail: dict[str, Any]
    ledger_seq: int


class ComplaintOut(BaseModel):
    id: str
    institution: str
    channel: ComplaintChannel
    debtor: str | None
    agency: str | None
    collector: str | None
    status: ComplaintStatus
    received_at: AwareDatetime
    day: date = Field(description="登记日（机构本地日期）the registration's local date")
    due_date: date = Field(description="答复期限（登记日 + complaint_days）the last day of the answer")
    extended_due_date: date | None
    extension_reason: str | None
    answer_by: date = Field(description="现行答复期限（延期后为延长的日期）the deadline in force")
    overdue: bool = Field(description="今天已过答复期限且未办结 past the deadline in force and not resolved")
    late: bool = Field(description="办结晚于期限 resolved after the deadline in force")
    handled_by_institution: bool
    investigator: str | None
    investigator_kind: str | None
    proxy_name: str | None = Field(description="代理人（脱敏）the proxy, masked")
    proxy_authorised: bool | None
    proxy_warning: bool
    complainant_name: str | None
    complainant_phone: str | None
    complainant_email: str | None
    payment_account: str | None
    text: str | None = Field(description="投诉内容（号码、证件号、邮箱已脱敏；催收机构不可见）what was said, with "
                                         "numbers masked; not shown to an agency")
    root_cause: str | None
    root_cause_rules: list[str]
    result: str | None
    resolved_at: AwareDatetime | None
    resolved_day: date | None
    erased: bool = Field(description="个人信息已删除 personal data purged")
    ledger_seq: int
    steps: list[ComplaintStepOut] = []


class ComplaintAck(BaseModel):
    """What the public form answers: the reference and the last day of the answer."""

    reference: str
    institution: str
    received_day: date
    answer_by: date
    proxy_warning: bool
    message_zh: str
    message_en: str

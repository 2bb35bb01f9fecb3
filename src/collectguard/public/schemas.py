"""What public disclosure accepts (an institution's complaint channels, an agency's public contact) and answers (the
public JSON: entrusted agencies, complaint channels and process). The public answers carry nothing but what
arts. 13 and 23 ask to publish: no ids of people, no debts, no internal status."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from collectguard.fields import WHOLE, Phone, unique
from collectguard.registry import schemas as s

# The guideline's days to answer a complaint (RULES.md `art22-complaint-response`; policy `complaint_days` may
# shorten it, never lengthen it).
COMPLAINT_DAYS = 15

EMAIL_PATTERN = r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$"
URL_PATTERN = r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[^\s<>\"'`]*)?$"

Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN, description="电子邮箱 e-mail address")]
WebUrl = Annotated[str, Field(max_length=500, pattern=URL_PATTERN, description="网页表单 http(s) URL")]
Hours = Annotated[str, Field(min_length=1, max_length=200, description="服务时间 service hours, e.g. 每日 9:00–21:00")]
PostalAddress = Annotated[str, Field(min_length=1, max_length=500)]
StepNote = Annotated[str, Field(min_length=1, max_length=500)]
ResponseDays = Annotated[int, Field(ge=1, le=COMPLAINT_DAYS), WHOLE]


class ComplaintStep(StrEnum):
    """The process art. 23 asks to publish, in its order."""

    REGISTRATION = "registration"  # 登记
    VERIFICATION = "verification"  # 核实
    INVESTIGATION = "investigation"  # 调查
    RESULT_NOTICE = "result_notice"  # 结果告知


STEPS = tuple(ComplaintStep)
STEP_TITLES: dict[ComplaintStep, tuple[str, str]] = {
    ComplaintStep.REGISTRATION: ("登记", "Registration"),
    ComplaintStep.VERIFICATION: ("核实", "Verification"),
    ComplaintStep.INVESTIGATION: ("调查", "Investigation"),
    ComplaintStep.RESULT_NOTICE: ("结果告知", "Result notice"),
}


class StepNotesIn(s.Strict):
    """What happens in one step, said by the institution (both optional)."""

    note_zh: StepNote | None = Field(default=None, description="本步说明（中文）what happens in this step")
    note_en: StepNote | None = Field(default=None, description="本步说明（英文）the same in English")


class ProcessIn(s.Strict):
    """The four steps of art. 23, always all four and in this order; the institution may describe each."""

    registration: StepNotesIn | None = None
    verification: StepNotesIn | None = None
    investigation: StepNotesIn | None = None
    result_notice: StepNotesIn | None = None


class ComplaintChannelsIn(s.Strict):
    """The whole set (PUT): at least one channel — a phone, an e-mail, a postal address or a web form."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["phones"], "properties": {"phones": {"minItems": 1}}},
        {"required": ["emails"], "properties": {"emails": {"minItems": 1}}},
        {"required": ["address"], "properties": {"address": {"type": "string", "maxLength": 500}}},
        {"required": ["web_form_url"], "properties": {"web_form_url": {"type": "string", "maxLength": 500}}},
    ], "examples": [{
        "phones": ["95588", "400-820-8888"], "emails": ["complaints@bank.example.cn"],
        "address": "北京市西城区复兴门内大街 1 号 客户投诉中心 100032", "web_form_url": "https://www.bank.example.cn/complaints",
        "service_hours": "每日 9:00–21:00（节假日照常）", "response_days": 15}]})
    phones: Annotated[list[Phone], AfterValidator(unique), Field(max_length=5, json_schema_extra={
        "uniqueItems": True}, description="投诉电话（中国号码，含 95xxx/12xxx 短号）complaint phone numbers (China)")] = []
    emails: Annotated[list[Email], AfterValidator(unique), Field(max_length=5, json_schema_extra={
        "uniqueItems": True})] = []
    address: PostalAddress | None = Field(default=None, description="通信地址 postal address")
    web_form_url: WebUrl | None = None
    service_hours: Hours | None = None
    process: ProcessIn | None = Field(default=None, description="处理流程：登记、核实、调查、结果告知四步，可为每步加说明 "
                                                          "the process: the four steps, each with optional notes")
    response_days: ResponseDays | None = Field(default=None, description="答复期限（天），默认 15 或机构政策 complaint_days；"
                                                                         "不得更长 days to answer (default 15, or the policy's)")


class ProcessStepOut(BaseModel):
    step: ComplaintStep
    title_zh: str
    title_en: str
    note_zh: str | None = None
    note_en: str | None = None


class ComplaintChannelsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "institution_id": "bank", "phones": ["95588"], "emails": ["complaints@bank.example.cn"], "address": None,
        "web_form_url": None, "service_hours": None, "response_days": 15, "updated_at": "2026-05-20T02:00:00Z",
        "process": [{"step": "registration", "title_zh": "登记", "title_en": "Registration"}]}]})
    institution_id: str
    phones: list[str]
    emails: list[str]
    address: str | None
    web_form_url: str | None
    service_hours: str | None
    process: list[ProcessStepOut]
    response_days: int
    updated_at: AwareDatetime


class AgencyContactIn(s.Strict):
    """An agency's public business contact: a phone, an address, or both."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["phone"], "properties": {"phone": {"type": "string", "maxLength": 64}}},
        {"required": ["address"], "properties": {"address": {"type": "string", "maxLength": 500}}},
    ], "examples": [{"phone": "400-820-8888", "address": "上海市浦东新区世纪大道 100 号"}]})
    phone: Phone | None = Field(default=None, description="对外业务电话 public business phone (China)")
    address: PostalAddress | None = Field(default=None, description="对外办公地址 public business address")


class AgencyContactOut(BaseModel):
    agency_id: str
    phone: str | None
    address: str | None
    updated_at: AwareDatetime


# == the public answers (no key) =====================================================================
class PublicAgency(BaseModel):
    name: str = Field(description="催收机构名称 the agency's name")
    phone: str | None = Field(description="对外业务电话 public business phone")
    address: str | None = Field(description="对外办公地址 public business address")
    subcontractor_of: str | None = Field(default=None, description="经批准转委托时，上级机构名称 for an approved "
                                                                   "subcontractor, its parent agency's name")


class PublicAgencies(BaseModel):
    """The agencies the institution entrusts today: on its name list, active, under an agreement covering today."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "institution": "bank", "institution_name": "示例银行", "as_of": "2026-05-20", "zone": "Asia/Shanghai",
        "version": "sha256:3f9a…", "ledger_seq": 42,
        "agencies": [{"name": "甲催收", "phone": "400 820 8888", "address": "上海市浦东新区世纪大道 100 号",
                      "subcontractor_of": None}]}]})
    institution: str
    institution_name: str | None
    as_of: date = Field(description="本机构所在时区的今天 today in the institution's zone")
    zone: str
    version: str = Field(description="名单内容的哈希：名单一变即变 a hash of the list: it changes when the list does")
    ledger_seq: int | None = Field(description="本机构最近一次名单变动的账本序号 the ledger seq of the latest change "
                                               "to the institution's name list, if any")
    agencies: list[PublicAgency]


class PublicComplaints(BaseModel):
    """The institution's complaint channels and process (art. 23); `published` is false until it sets them."""

    institution: str
    institution_name: str | None
    published: bool
    phones: list[str] = []
    emails: list[str] = []
    address: str | None = None
    web_form_url: str | None = None
    service_hours: str | None = None
    process: list[ProcessStepOut] = []
    response_days: int | None = None

"""What complaints accept and answer. The step payloads of OVERSIGHT.md (`complaint`, `complaint_assign`,
`complaint_resolved`) are the models below; the API adds what a person types into an intake form."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from collectguard.fields import Flag, LongText, Name, Note, Phone, ShortText
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

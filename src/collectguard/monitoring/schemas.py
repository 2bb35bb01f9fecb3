"""What monitoring accepts and answers: thresholds, daily figures, flags, the performance scheme and an agency's
evidence for its suggested grades."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from collectguard.fields import WHOLE, Flag, Note
from collectguard.registry.schemas import Strict


class Metric(StrEnum):
    """What a threshold watches, per collector and natural day (see repository.collector_days)."""

    DENIALS = "denials"  # attempts the gate denied
    AFTER_DENY = "after_deny"  # attempts asked again, to the same party the same day, after a deny
    AGAINST_DENY = "against_deny"  # connected contacts made although the gate denied them
    QA_FINDINGS = "qa_findings"  # quality-inspection findings on the collector's calls


class FlagStatus(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"  # the collector was suspended for the institution
    DISMISSED = "dismissed"  # looked at, no action (with a note)


# The threshold column each metric is compared with.
THRESHOLD_OF: dict[Metric, str] = {
    Metric.DENIALS: "max_denials_per_day",
    Metric.AFTER_DENY: "max_after_deny_per_day",
    Metric.AGAINST_DENY: "max_against_deny_per_day",
    Metric.QA_FINDINGS: "max_qa_findings_per_day",
}

Limit = Annotated[int, Field(ge=0, le=100_000), WHOLE]


# == thresholds ======================================================================================
class ThresholdsIn(Strict):
    """Daily limits per collector; a limit left out (or null) is not watched. A collector's figure above its limit
    (0: any at all) raises a flag when the day is run."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"max_denials_per_day": 5, "max_after_deny_per_day": 0, "max_against_deny_per_day": 0,
         "max_qa_findings_per_day": 3, "auto_suspend": False}]})
    max_denials_per_day: Limit | None = Field(default=None, description="每日被拒上限 denials per day")
    max_after_deny_per_day: Limit | None = Field(
        default=None, description="每日被拒后同日对同一对象再次尝试上限 attempts after a deny, same party, same day")
    max_against_deny_per_day: Limit | None = Field(
        default=None, description="每日被拒后仍接通的联系上限 connected contacts made against a deny")
    max_qa_findings_per_day: Limit | None = Field(default=None, description="每日质检问题上限 QA findings per day")
    auto_suspend: Flag = Field(default=False, description="超限即暂停该催收人员 suspend the collector at once")


class ThresholdsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    institution_id: str
    max_denials_per_day: int | None
    max_after_deny_per_day: int | None
    max_against_deny_per_day: int | None
    max_qa_findings_per_day: int | None
    auto_suspend: bool
    changed_at: AwareDatetime | None = Field(description="最近修改时间，未设置为 null last changed, null if never set")


# == daily figures ===================================================================================
class Counts(BaseModel):
    attempts: int = Field(description="当日询问闸门的尝试数 attempts asked that day")
    allowed: int
    denied: int
    denials_by_rule: dict[str, int] = Field(description="被拒尝试按规则计 denied attempts by failing rule id")
    after_deny: int = Field(description="同日同一对象被拒后再次尝试数 attempts asked again to the same party the same "
                                        "day after a denied one")
    against_deny: int = Field(description="被拒后仍接通的联系数 connected contacts made against a deny")
    qa_findings: int = Field(description="质检问题数 QA findings on calls asked that day")
    qa_findings_by_rule: dict[str, int]
    complaints: int = Field(default=0, description="当日登记的投诉数（针对该催收人员）complaints about the collector "
                                                   "registered that day")
    complaints_substantiated: int = Field(default=0, description="当日办结且根本原因为某规则的投诉数 complaints "
                                                                 "resolved that day with a root cause naming a rule")


class CollectorDayOut(Counts):
    collector: str
    agency: str | None = Field(description="所属催收机构，本机构人员为 null the collector's agency; null: in-house")
    day: date


class AgencyDayOut(Counts):
    agency: str
    day: date
    collectors: int = Field(description="当日有数据的催收人员数 collectors with figures that day")


class FiguresOut(BaseModel):
    institution_id: str
    zone: str = Field(description="自然日所在时区 the zone of the natural days")
    day_from: date = Field(serialization_alias="from")
    day_to: date = Field(serialization_alias="to")
    collectors: list[CollectorDayOut]
    agencies: list[AgencyDayOut]


# == flags ===========================================================================================
class FlagOut(BaseModel):
    id: int
    institution_id: str
    collector: str
    agency: str | None
    day: date
    metric: Metric
    value: int
    threshold: int
    evidence: dict[str, list[Any]] = Field(description="证据：尝试编号（attempts）或质检问题编号（findings）the "
                                                       "evidence: attempt ids (attempts) or QA finding ids (findings)")
    status: FlagStatus
    note: str | None
    raised_at: AwareDatetime
    changed_at: AwareDatetime


class SuspendIn(Strict):
    note: Note | None = None


class DismissIn(Strict):
    note: Annotated[Note, Field(min_length=1)] = Field(description="为何不采取措施 why no action is taken")


class RunOut(BaseModel):
    institution_id: str
    day: date
    raised: list[FlagOut] = Field(description="本次新提出的标记 flags raised by this run")
    already: list[int] = Field(description="此前已提出、本次未重复的标记 flags raised before (not raised again)")
    suspended: list[str] = Field(description="本次自动暂停的催收人员 collectors suspended by this run (auto_suspend)")


# == performance scheme (art. 6(二)6, 18(二)) =========================================================
def _number(value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise ValueError("权重须为数字 / a weight must be a number (percent)")
    return value


Weight = Annotated[
    Decimal, Field(ge=0, le=100, decimal_places=2), BeforeValidator(_number),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01,
                    "description": "权重（百分比）weight in percent, 0–100, at most 2 decimals"}),
]


class _Weights(Strict):
    def weights(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    @model_validator(mode="after")
    def _hundred(self) -> _Weights:
        total = sum(self.weights().values(), Decimal(0))
        if total != 100:
            raise ValueError(f"各项权重之和须为 100，现为 {total} / the weights must sum to 100, not {total}")
        return self


class CollectorWeights(_Weights):
    """催收人员考核 The collectors' assessment (art. 6(二)6). A criterion left out weighs 0."""

    recovery: Weight = Field(default=Decimal(0), description="回收业绩 recovery")
    compliance: Weight = Field(default=Decimal(0), description="合规 compliance")
    complaints: Weight = Field(default=Decimal(0), description="投诉 complaints")
    information_security: Weight = Field(default=Decimal(0), description="信息安全 information security")
    task_quality: Weight = Field(default=Decimal(0), description="作业质量 quality of work")


class AgencyWeights(_Weights):
    """合作机构考核 The agencies' assessment (art. 18(二) criteria, with recovery). A criterion left out weighs 0."""

    recovery: Weight = Field(default=Decimal(0), description="回收业绩 recovery")
    compliance: Weight = Field(default=Decimal(0), description="合规 compliance")
    complaints: Weight = Field(default=Decimal(0), description="投诉 complaints")
    information_security: Weight = Field(default=Decimal(0), description="信息安全 information security")
    task_quality: Weight = Field(default=Decimal(0), description="任务质量 task quality")
    records: Weight = Field(default=Decimal(0), description="记录完整 records")


class SchemeIn(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "collector": {"recovery": 40, "compliance": 30, "complaints": 15, "information_security": 15},
        "agency": {"recovery": 30, "compliance": 25, "complaints": 15, "information_security": 10,
                   "task_quality": 10, "records": 10}}]})
    collector: CollectorWeights
    agency: AgencyWeights


class SchemeOut(BaseModel):
    institution_id: str
    version: int
    collector: dict[str, Decimal]
    agency: dict[str, Decimal]
    adopted_at: AwareDatetime
    ledger_seq: int


# == an agency's evidence (art. 18(二)) ===============================================================
class Score(BaseModel):
    score: int = Field(ge=0, le=100)
    reason_zh: str
    reason_en: str


class Suggested(BaseModel):
    """建议分 A suggested 0–100 score for each art. 18(二) criterion, with how it was derived: a proposal for the
    evaluator, who decides."""

    compliance: Score
    task_quality: Score
    information_security: Score
    records: Score
    complaints: Score


class AgencyEvidence(BaseModel):
    """What the ledger's tables say about an agency (and its subcontractors) for one institution over a period:
    the evidence behind an evaluation's suggested grades (collectguard.monitoring.scoring)."""

    institution_id: str
    agency_id: str
    agencies: list[str] = Field(description="计入的机构：本机构及其转委托机构 the agency and its subcontractors")
    since: AwareDatetime
    until: AwareDatetime
    attempts: int = Field(description="期间询问闸门的尝试数 attempts asked in the period")
    denied: int
    denial_rate: Decimal = Field(description="被拒率 denied / attempts (0 without attempts)")
    denials_by_rule: dict[str, int]
    denial_rate_by_rule: dict[str, Decimal] = Field(description="按规则的被拒率 denied attempts failing each rule / "
                                                                "attempts")
    after_deny: int = Field(description="同日同一对象被拒后再次尝试数 attempts asked again to the same party the same "
                                        "day after a denied one")
    against_deny: int = Field(description="被拒后仍接通的联系数 connected contacts made against a deny")
    calls: int = Field(description="接通的语音与视频通话数 connected voice and video calls")
    qa_findings: int
    qa_findings_by_rule: dict[str, int]
    qa_findings_per_1000_calls: Decimal = Field(description="每千通通话的质检问题数 QA findings per 1,000 connected "
                                                            "calls (0 without calls)")
    complaints: int = Field(default=0, description="期间登记的投诉数（针对本机构、其转委托机构或其催收人员）complaints "
                                                   "registered in the period about the agency, its subcontractors or "
                                                   "their collectors")
    complaints_substantiated: int = Field(default=0, description="期间办结且根本原因为某规则的投诉数 complaints "
                                                                 "resolved in the period with a root cause naming a rule")
    complaints_by_rule: dict[str, int] = Field(default_factory=dict, description="查实投诉按根本原因规则计 "
                                                                              "substantiated complaints by rule id")
    outcomes_expected: int = Field(description="获准的尝试数 allowed attempts (each should report an outcome)")
    outcomes_reported: int = Field(description="其中已报告结果 of which an outcome was reported")
    records_completeness: Decimal | None = Field(description="记录完整率 outcomes_reported / outcomes_expected "
                                                             "(null: nothing expected)")
    interactive: int = Field(description="交互式语音、视频及外访尝试数 interactive voice and video attempts and visits")
    interactive_recorded: int = Field(description="其中声明全程录音录像 of which declared recorded throughout")
    recording_share: Decimal | None = Field(description="录音录像率 interactive_recorded / interactive (null: none)")
    suggested: Suggested

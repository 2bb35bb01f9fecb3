"""What oversight accepts and answers: evaluations, commitments, listing, termination, inspections, rectification,
staff, and the obligations calendar. The same models are a scenario step's payload (OVERSIGHT.md) and an API body
(the API's create bodies add a `ref` and have the server make the id)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from collectguard.fields import WHOLE, Flag, Name, Note, StrictDate
from collectguard.registry.create import ServerMade
from collectguard.registry.schemas import Ident, StaffIn, StaffRole, Strict


class EvaluationKind(StrEnum):
    ADMISSION = "admission"  # 准入评估 (art. 17(一))
    ANNUAL = "annual"  # 年度评估 (art. 18(二))
    PRE_EXPIRY = "pre_expiry"  # 协议到期前评估 (art. 18(二))


# The nine admission criteria of art. 17(一) and the five of art. 18(二), in the guideline's order.
ADMISSION_CRITERIA = ("licence", "lawful_operation", "going_concern", "internal_control", "professional_capability",
                      "information_security", "premises_equipment", "social_responsibility", "reputation")
PERIODIC_CRITERIA = ("compliance", "task_quality", "information_security", "records", "complaints")
CRITERIA = {EvaluationKind.ADMISSION: ADMISSION_CRITERIA, EvaluationKind.ANNUAL: PERIODIC_CRITERIA,
            EvaluationKind.PRE_EXPIRY: PERIODIC_CRITERIA}


class Commitment(StrEnum):
    """The three written commitments of art. 17(二)."""

    NO_SUBCONTRACTING = "no_subcontracting"  # 不违规转委托
    CONFIDENTIALITY = "confidentiality"  # 个人信息保密
    ACCEPT_INSPECTION = "accept_inspection"  # 接受机构及监管检查


class InspectionKind(StrEnum):
    SELF = "self"  # 自查
    AGENCY_SCHEDULED = "agency_scheduled"  # 对合作机构的定期检查
    AGENCY_SURPRISE = "agency_surprise"  # 对合作机构的突击检查


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    SERIOUS = "serious"


class RectificationReason(StrEnum):
    """The causes of art. 18(三)."""

    ILLEGAL_COLLECTION = "illegal_collection"  # 涉嫌违法违规催收
    PI_INCIDENT = "pi_incident"  # 个人信息泄露、丢失、篡改
    CONSUMER_HARM = "consumer_harm"  # 损害消费者权益


class TerminationReason(StrEnum):
    """The causes of art. 18(四)."""

    SERIOUS_ILLEGAL_COLLECTION = "serious_illegal_collection"
    SERIOUS_PI_LEAK = "serious_pi_leak"
    RECTIFICATION_FAILED = "rectification_failed"
    SERIOUS_HARM = "serious_harm"
    OTHER = "other"


Score = Annotated[int, Field(ge=0, le=100), WHOLE]
Hash = Annotated[str, Field(pattern=r"^(sm3|sha256):[0-9a-f]{64}$", max_length=71,
                            description="`sm3:<hex>` 或 `sha256:<hex>`")]


class EvidenceRef(Strict):
    """A stored evidence file (POST /v1/evidence-files) an evaluation or inspection cites."""

    name: Name
    hash: Hash


class EvaluationIn(Strict):
    id: Ident
    institution: Ident
    agency: Ident
    kind: EvaluationKind
    agreement: Ident | None = Field(default=None, validate_default=True, description="协议（到期前评估必填）the "
                                    "agreement (required for a pre-expiry evaluation)")
    scores: dict[str, Score] = Field(description="评估项 → 0–100 criterion → score (all of the kind's criteria)")
    passed: Flag
    evaluator: Name | None = None
    evidence: list[EvidenceRef] = Field(default=[], max_length=100)
    note: Note | None = None

    @field_validator("agreement")
    @classmethod
    def _agreement(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") is EvaluationKind.PRE_EXPIRY and value is None:
            raise ValueError("协议到期前评估须指明协议 / a pre_expiry evaluation names its `agreement`")
        return value

    @field_validator("scores")
    @classmethod
    def _criteria(cls, scores: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        kind = info.data.get("kind")
        if kind is None:
            return scores
        wanted = CRITERIA[kind]
        missing = [c for c in wanted if c not in scores]
        unknown = sorted(set(scores) - set(wanted))
        if missing:
            raise ValueError(f"{kind.value} 评估缺少评估项 {', '.join(missing)} / the {kind.value} evaluation must score "
                             f"{', '.join(wanted)}; missing: {', '.join(missing)}")
        if unknown:
            raise ValueError(f"未知评估项 {', '.join(unknown)} / unknown criteria for the {kind.value} evaluation: "
                             f"{', '.join(unknown)} (criteria: {', '.join(wanted)})")
        return scores


class CommitmentsIn(Strict):
    institution: Ident
    agency: Ident
    items: list[Commitment] = Field(min_length=1, max_length=3)
    document_hash: Hash | None = Field(default=None, description="签署文件的哈希 hash of the signed document")


class ListingIn(Strict):
    institution: Ident
    agency: Ident
    listed: Flag
    note: Note | None = Field(default=None, description="理由（如移出名单的原因）the reason, e.g. why it is delisted")


class TerminationIn(Strict):
    institution: Ident
    agency: Ident
    reason: TerminationReason
    note: Note | None = None


class FindingIn(Strict):
    rule: Annotated[str, Field(min_length=1, max_length=64)]
    severity: Severity
    note: Note | None = None


class InspectionIn(Strict):
    id: Ident
    institution: Ident
    kind: InspectionKind
    org: Ident = Field(description="自查：本机构或合作机构；其余：被检查的合作机构 self: the institution or an agency; "
                                   "otherwise the inspected agency")
    findings: list[FindingIn] = Field(default=[], max_length=500)
    inspector: Name | None = None
    period_from: StrictDate | None = None
    period_to: StrictDate | None = None
    sample_size: Annotated[int, Field(ge=1, le=10_000), WHOLE] | None = None
    seed: Annotated[str, Field(pattern=r"^[0-9a-f]{1,64}$", max_length=64)] | None = None
    evidence: list[EvidenceRef] = Field(default=[], max_length=100)
    note: Note | None = None

    @model_validator(mode="after")
    def _period(self) -> InspectionIn:
        if (self.period_from is None) != (self.period_to is None):
            raise ValueError("期间须同时给出起止 / give both period_from and period_to, or neither")
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise ValueError("期间结束早于开始 / period_to is before period_from")
        if self.sample_size is not None and self.period_from is None:
            raise ValueError("抽样须指明期间 / a sample needs period_from and period_to")
        return self


class RectificationOrderIn(Strict):
    id: Ident
    institution: Ident
    agency: Ident
    reason: RectificationReason
    due: StrictDate
    stop_collection: Flag = False
    inspection: Ident | None = None
    finding: Annotated[int, Field(ge=1), WHOLE] | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _finding(self) -> RectificationOrderIn:
        if self.finding is not None and self.inspection is None:
            raise ValueError("finding 须与 inspection 同时给出 / `finding` needs its `inspection`")
        return self


class RectificationDoneIn(Strict):
    order: Ident
    note: Note | None = None


__all__ = ["StaffIn", "StaffRole"]


class CheckObligationsIn(Strict):
    institution: Ident


# -- what the API accepts to create (the server makes the id) ------------------------------------------------
class EvaluationCreate(ServerMade, EvaluationIn):
    id_kind = "evaluation"
    setup = EvaluationIn


class InspectionCreate(ServerMade, InspectionIn):
    id_kind = "inspection"
    setup = InspectionIn


class RectificationOrderCreate(ServerMade, RectificationOrderIn):
    id_kind = "order"
    setup = RectificationOrderIn


class StaffCreate(ServerMade, StaffIn):
    id_kind = "staff"
    setup = StaffIn


# -- what it answers ----------------------------------------------------------------------------------------
class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EvaluationOut(Out):
    id: str
    institution_id: str
    agency_id: str
    kind: EvaluationKind
    agreement_id: str | None
    scores: dict[str, int]
    passed: bool
    evaluator: str | None
    evidence: list[dict[str, Any]]
    suggested: dict[str, Any] | None = Field(description="依账本证据建议的评分（供参考）grades suggested from the "
                                                        "evidence the ledger holds, beside the evaluator's own")
    note: str | None
    at: AwareDatetime
    day: date
    ledger_seq: int


class CommitmentOut(Out):
    institution_id: str
    agency_id: str
    item: Commitment
    document_hash: str | None
    at: AwareDatetime
    ledger_seq: int


class FindingOut(Out):
    n: int
    rule: str
    severity: Severity
    note: str | None
    order_id: str | None


class InspectionOut(Out):
    id: str
    institution_id: str
    kind: InspectionKind
    org_id: str
    inspector: str | None
    period_from: date | None
    period_to: date | None
    seed: str | None
    sample_size: int | None
    note: str | None
    at: AwareDatetime
    day: date
    ledger_seq: int
    findings: list[FindingOut] = []


class OrderOut(Out):
    id: str
    institution_id: str
    agency_id: str
    reason: RectificationReason
    due: date
    stop_collection: bool
    inspection_id: str | None
    finding_n: int | None
    note: str | None
    opened_at: AwareDatetime
    done_at: AwareDatetime | None
    done_note: str | None
    ledger_seq: int


class StaffOut(Out):
    id: str
    org_id: str
    role: StaffRole | None
    name: str | None


class AgencyStageOut(BaseModel):
    """Where an agency stands with an institution: applied → evaluated → commitments → listed → (rectification,
    suspended) → terminated (arts. 17, 18)."""

    agency: str
    stage: str = Field(description="applied, evaluated, committed, listed, rectification, suspended, delisted, "
                                   "terminated")
    listing_status: str | None
    admission: EvaluationOut | None
    commitments: list[Commitment]
    missing_commitments: list[Commitment]
    open_orders: list[OrderOut]
    last_evaluation: EvaluationOut | None


class EvidenceOut(BaseModel):
    kind: str
    id: str
    at: datetime | date
    ledger_seq: int | None = None


class ObligationOut(BaseModel):
    key: str = Field(description="OBLIGATION_ID:SUBJECT_ID")
    obligation: str
    article: str
    title_zh: str
    title_en: str
    subject: str
    subject_kind: str
    agency: str | None = Field(description="所涉合作机构 the agency the item concerns")
    status: str = Field(description="met 已履行 · due 待履行 · overdue 已逾期")
    due_date: date | None = Field(description="按时履行的最后一天（机构所在时区）the last local day on time")
    due_at: AwareDatetime | None = Field(description="按时履行的最后时刻 the last instant on time")
    evidence: list[EvidenceOut]


class ObligationsOut(BaseModel):
    institution: str
    at: AwareDatetime
    day: date = Field(description="机构所在时区的日期 the institution's local date")
    timezone: str
    due_within_days: int
    counts: dict[str, int] = Field(description="按状态计数 items by status")
    items: list[ObligationOut]


class FileOut(BaseModel):
    hash: str
    name: str
    media_type: str
    size: int
    stored_at: AwareDatetime

"""What retention accepts and answers: the retention policy, a purge run (its plan in a dry run), the deletion log
and agencies' destruction requests. Subjects are pseudonymous ids; nothing here carries personal data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from collectguard.fields import WHOLE, Flag, Instant, Name, Note, storable
from collectguard.registry.schemas import Ident, Strict

MIN_YEARS = 2  # art. 12(一)(二): collection records kept at least 2 years, nothing purged before that
DEFAULT_YEARS = 5
MAX_YEARS = 30

Years = Annotated[int, Field(ge=1, le=MAX_YEARS, description="保存年限（≥2）years personal data is kept after the last "
                                                             "activity (≥ 2)"), WHOLE]
# Who approved or decided: a name that is not blank (the deletion log says who).
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
Person = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(storable)]
Reason = Annotated[str, Field(min_length=1, max_length=2000, pattern=NOT_BLANK), AfterValidator(storable)]


class SubjectKind(StrEnum):
    DEBTOR = "debtor"
    CONTACT = "contact"
    COMPLAINT = "complaint"
    AGENCY_COPY = "agency-copy"


class DeletionReason(StrEnum):
    RETENTION_EXPIRED = "retention_expired"  # 保存期满
    AGREEMENT_ENDED = "agreement_ended"  # 委托协议终止，催收机构销毁副本


class DestructionStatus(StrEnum):
    REQUESTED = "requested"  # 待审批
    APPROVED = "approved"  # 已同意（访问权限已收回）
    REFUSED = "refused"  # 已拒绝


# -- in --------------------------------------------------------------------------------------------------------
class RetentionPolicyIn(Strict):
    years: Years
    set_by: Name | None = None


class RetentionRunIn(Strict):
    approved_by: Person = Field(description="批准人 who approved the purge")
    at: Instant | None = Field(default=None, description="按此时刻计算保存期（默认现在） count retention to this "
                                                          "instant (default: now)")
    dry_run: Flag = False
    limit: Annotated[int, Field(ge=1, le=1_000_000), WHOLE] | None = None


class DestructionRequestIn(Strict):
    """An agency asks to destroy its copies of the institution's data (art. 20(四)); `agency` only for the
    institution's own people recording it for an agency (an agency operator's own agency otherwise)."""

    agency: Ident | None = None
    requested_by: Name | None = None
    note: Note | None = None


class DestructionDecisionIn(Strict):
    decided_by: Person
    reason: Note | None = None


class DestructionRefusalIn(DestructionDecisionIn):
    reason: Reason = Field(description="拒绝理由 why the institution refuses")  # type: ignore[assignment]


# -- out -------------------------------------------------------------------------------------------------------
class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RetentionPolicyOut(Out):
    institution: str
    years: int
    default: bool = Field(description="未设置时的默认值 the default (no policy set)")
    set_at: datetime | None = None
    set_by: str | None = None
    ledger_seq: int | None = None


class RunOut(Out):
    institution: str
    at: datetime
    years: int
    dry_run: bool
    debtors: list[str] = Field(description="到期的债务人（假名 id） debtors past retention, by pseudonymous id")
    count: int
    run_id: str | None = None
    entries: int = 0
    ledger_seq: int | None = None
    seconds: float | None = None
    vacuum: str | None = None


class DeletionLogOut(Out):
    id: int
    institution: str = Field(validation_alias="institution_id")
    subject_kind: str
    subject_id: str
    kinds: list[str]
    at: datetime
    reason: str
    approved_by: str
    run_id: str | None = None
    request_id: str | None = None
    ledger_seq: int


class DestructionOut(Out):
    id: str
    institution: str = Field(validation_alias="institution_id")
    agency: str = Field(validation_alias="agency_id")
    agreement: str | None = Field(default=None, validation_alias="agreement_id")
    status: DestructionStatus
    requested_at: datetime
    requested_by: str | None = None
    note: str | None = None
    ledger_seq: int
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_seq: int | None = None
    outcome: dict[str, Any] | None = None

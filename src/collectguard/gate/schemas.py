"""What the gate accepts and answers: attempts, outcomes, events and decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from collectguard.registry.schemas import Ident, Strict
from collectguard.rulebook.decision import Decision
from collectguard.rulebook.vocabulary import (
    Channel,
    CollectorStatus,
    DebtorStatus,
    Delivery,
    ListingStatus,
    Mode,
    Purpose,
)


class ReceiverIn(Strict):
    relation: str | None = None
    adult_household_member: bool = False
    told_debtor_only: bool = False


class AttemptIn(Strict):
    id: Ident
    collector: Ident
    debt: Ident
    party: Ident
    channel: Channel
    mode: Mode
    tool: Ident | None = None
    template: Ident | None = None
    purpose: Purpose | None = None
    recording: bool | None = None
    team: list[Ident] = []
    ids_shown: bool | None = None
    delivery: Delivery | None = None
    envelope_template: Ident | None = None
    receiver: ReceiverIn | None = None


class OutcomeIn(Strict):
    attempt: Ident
    connected: bool
    duration_s: Decimal | None = Field(default=None, ge=0)
    meaningful: bool | None = None
    effective: bool | None = None


class RepaymentIn(Strict):
    debt: Ident
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    settled: bool


class ContactRefusedIn(Strict):
    contact: Ident


class DebtorStatusIn(Strict):
    debtor: Ident
    status: DebtorStatus
    reason: str | None = None


class AgencyStatusIn(Strict):
    institution: Ident
    agency: Ident
    status: ListingStatus


class CollectorStatusIn(Strict):
    collector: Ident
    status: CollectorStatus


class TrainingIn(Strict):
    collector: Ident
    date: date


class TemplateApprovalIn(Strict):
    template: Ident
    approved: bool


class TemplateEditIn(Strict):
    template: Ident
    text: str = Field(min_length=1)
    sealed: bool | None = None


class ViolationOut(BaseModel):
    rule: str
    article: str
    message_zh: str
    message_en: str


class RuleErrorOut(BaseModel):
    rule: str
    article: str
    error: str


class LeaseOut(BaseModel):
    rule: str
    expires_at: AwareDatetime


class DecisionOut(BaseModel):
    """The gate's answer. A deny is a normal answer, not an error."""

    model_config = ConfigDict(frozen=True)

    decision_id: str
    attempt_id: str
    decision: str  # "allow" or "deny"
    allowed: bool
    violations: list[ViolationOut]
    errors: list[RuleErrorOut]
    failing_rules: list[str]
    quotas: dict[str, int]
    next_allowed_at: AwareDatetime | None
    lease: LeaseOut | None
    rulebook_version: str
    at: AwareDatetime

    @classmethod
    def build(cls, decision: Decision, *, decision_id: str, attempt_id: str, lease_expires_at: datetime | None) -> DecisionOut:
        return cls(
            decision_id=decision_id,
            attempt_id=attempt_id,
            decision="allow" if decision.allowed else "deny",
            allowed=decision.allowed,
            violations=[ViolationOut(**v.__dict__) for v in decision.violations],
            errors=[RuleErrorOut(**e.__dict__) for e in decision.errors],
            failing_rules=list(decision.failing_rules),
            quotas=dict(decision.quotas),
            next_allowed_at=decision.next_allowed_at,
            lease=(
                LeaseOut(rule=decision.lease_rule, expires_at=lease_expires_at)
                if decision.lease_rule and lease_expires_at
                else None
            ),
            rulebook_version=decision.rulebook_version,
            at=decision.evaluated_at,
        )


class OutcomeOut(BaseModel):
    attempt_id: str
    lease_state: str
    late: bool  # the outcome arrived after the lease had expired
    consumed: bool


class EventOut(BaseModel):
    kind: str
    subject: str
    ledger_seq: int
    detail: dict[str, Any] = {}

"""What the gate accepts and answers: attempts, outcomes and decisions. (Events: their domains' schemas.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from collectguard.fields import DurationS, Flag, Instant
from collectguard.registry.schemas import Ident, Strict
from collectguard.rulebook.decision import Decision
from collectguard.rulebook.vocabulary import (
    Channel,
    Delivery,
    LeaseState,
    Mode,
    Purpose,
    Receiver,
    ReceiverRelation,
)


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
    recording: Flag | None = None
    team: list[Ident] = Field(default=[], max_length=20)  # a name listed twice is one person (art16-visit-team)
    ids_shown: Flag | None = None
    delivery: Delivery | None = None
    envelope_template: Ident | None = None
    receiver: Receiver | None = Field(
        default=None, description="专人送达的签收人 who receives a hand-delivered letter: debtor (本人) or family "
                                  "(与债务人同住的成年家庭成员 an adult family member living with the debtor)")
    receiver_relation: ReceiverRelation | None = Field(
        default=None, description="家属签收人与债务人的关系 a family receiver's relation to the debtor")
    receiver_told: Flag | None = Field(
        default=None, description="已告知家属签收人函件仅限债务人本人拆阅 the family receiver was told that only the "
                                  "debtor may open it")


ENDED_AT = ("通话（或送达）结束时间，如 SIP 代理挂机时所知；不早于尝试，不晚于现在；被拒后仍进行的联系按它计日 when "
            "the call (or delivery) ended, as a SIP proxy knows it at hang-up: not before the attempt, not in the "
            "future; a contact made against a deny counts on the day it ended")


class OutcomeIn(Strict):
    attempt: Ident
    connected: Flag
    duration_s: DurationS | None = None
    meaningful: Flag | None = None
    effective: Flag | None = None
    ended_at: Instant | None = Field(default=None, description=ENDED_AT)


class ViolationOut(BaseModel):
    rule: str
    article: str
    message_zh: str
    message_en: str


class RuleErrorOut(BaseModel):
    rule: str
    article: str
    error: str


class NoteOut(BaseModel):
    """Something the gate took differently from what the caller said (e.g. `mode-taken-as-notification`)."""

    code: str
    message_zh: str
    message_en: str


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
    mode: Mode | None = Field(default=None, description="the mode the attempt was judged as: notification on a "
                                                        "one-way channel (sms, 5g_message, email, letter)")
    notes: list[NoteOut] = []

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
            mode=decision.mode,
            notes=[NoteOut(**n.__dict__) for n in decision.notes],
        )


AGAINST_DENY = ("闸门拒绝后仍进行且接通的联系：照常计入当日配额 a contact made although the gate denied it (a connected "
                "outcome for a denied attempt): it counts against the day's quota like any other")


class OutcomeOut(BaseModel):
    attempt_id: str
    lease_state: str
    late: bool  # the outcome arrived after the lease had expired
    consumed: bool
    against_deny: bool = Field(default=False, description=AGAINST_DENY)


class OutcomeReport(BaseModel):
    """The outcome reported for an attempt, as stored."""

    connected: bool
    duration_s: float | None
    meaningful: bool | None
    effective: bool | None
    ended_at: AwareDatetime | None = Field(description=ENDED_AT)
    reported_at: AwareDatetime = Field(description="结果送达闸门的时间 when the gate received the outcome")
    late: bool = Field(description="结果晚于租约到期才送达 the outcome arrived after the lease had expired")
    consumed: bool = Field(description="计入当日配额 it counts against a per-day quota")
    against_deny: bool = Field(description=AGAINST_DENY)


class AttemptOut(DecisionOut):
    """An attempt as it stands: the decision as it was answered, the lease now and the outcome, if any."""

    lease_state: LeaseState = Field(description="租约现状 where the lease stands now: none, held, consumed, released "
                                                "or expired (a held lease past its expiry shows expired)")
    outcome: OutcomeReport | None = Field(description="已报告的结果，未报告为 null the outcome reported, null if none")

    @classmethod
    def of(cls, row: Any, at: datetime, *, attempt_id: str) -> AttemptOut:
        """An attempts-table row as it stands at `at`; `attempt_id`: the id as its caller sent it."""
        state = LeaseState(row.lease_state)
        if state is LeaseState.HELD and row.lease_expires_at is not None and row.lease_expires_at <= at:
            state = LeaseState.EXPIRED  # what the sweeper will record; it counts as consumed from its expiry
        outcome = None
        if row.outcome_at is not None:
            outcome = OutcomeReport(
                connected=row.connected, meaningful=row.meaningful, effective=row.effective, ended_at=row.ended_at,
                duration_s=None if row.duration_s is None else float(row.duration_s), reported_at=row.outcome_at,
                late=row.lease_expires_at is not None and row.lease_expires_at <= row.outcome_at,
                consumed=state is LeaseState.CONSUMED, against_deny=bool(row.against_deny),
            )
        return cls.model_validate({**row.decision, "attempt_id": attempt_id, "lease_state": state, "outcome": outcome})

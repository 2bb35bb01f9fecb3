"""The scenario file format (shared/scenarios/FORMAT.md) as Pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.collectors.schemas import CollectorStatusIn, TrainingIn
from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.debts.schemas import ContactRefusedIn, DebtorStatusIn, RepaymentIn
from collectguard.gate import schemas as g
from collectguard.incidents.schemas import IncidentIn, IncidentNotifiedIn
from collectguard.oversight.schemas import (
    CheckObligationsIn,
    CommitmentsIn,
    EvaluationIn,
    InspectionIn,
    ListingIn,
    RectificationDoneIn,
    RectificationOrderIn,
)
from collectguard.registry.schemas import (
    DEFAULT_TIMEZONE,
    Ident,
    PlacementIn,
    PolicyIn,
    Strict,
    TimeZoneName,
    World,
)
from collectguard.templates.schemas import TemplateApprovalIn

ACTIONS = (
    "attempt",
    "outcome",
    "repayment",
    "contact_refused",
    "debtor_status",
    "agency_status",
    "collector_status",
    "training",
    "template_approval",
    "placement",
    "agency_evaluation",
    "agency_commitments",
    "agency_listing",
    "inspection",
    "rectification_order",
    "rectification_done",
    "complaint",
    "complaint_assign",
    "complaint_resolved",
    "incident",
    "incident_notified",
    "check_obligations",
)


class Expect(BaseModel):
    """`allow`, `{deny: [...]}`, `{deny_includes: [...]}` (optionally with next_allowed_at and quota),
    `ok`, `{ok: {DETAIL: VALUE, ...}}` (accepted, and the step's result says so: `{ok: {proxy_warning: true}}`),
    `{reject: RULE_ID}` or `{reject: [RULE_ID, ...]}` (the exact set), or `{overdue: [KEY, ...]}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["allow", "deny", "deny_includes", "ok", "reject", "overdue"]
    rules: tuple[str, ...] = ()
    checks_next_allowed_at: bool = False
    next_allowed_at: AwareDatetime | None = None
    quota: dict[str, int] | None = None
    details: dict[str, Any] | None = None  # `{ok: {...}}`: what the accepted step's result must say

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            if raw not in ("allow", "ok"):
                raise ValueError(f"expect 只能是 allow、ok 或映射 / expect must be allow, ok or a mapping, got {raw!r}")
            return {"kind": raw}
        if not isinstance(raw, dict):
            raise ValueError("expect must be allow, ok or a mapping")
        if "kind" in raw:
            return raw
        forms = [k for k in ("allow", "deny", "deny_includes", "reject", "overdue", "ok") if k in raw]
        if len(forms) != 1:
            raise ValueError("expect 须且仅须含 deny、deny_includes、reject、overdue、ok 或 allow 之一 / expect needs "
                             "exactly one of deny, deny_includes, reject, overdue, ok, allow")
        form = forms[0]
        extra = set(raw) - {form, "next_allowed_at", "quota"}
        if extra or (form in ("reject", "overdue", "ok") and len(raw) > 1):
            raise ValueError(f"expect 中有未知键 / unknown keys in expect: {sorted(extra) or sorted(set(raw) - {form})}")
        out: dict[str, Any] = {"kind": form}
        value = raw[form]
        if form == "ok":
            if not isinstance(value, dict) or not value or not all(isinstance(k, str) for k in value):
                raise ValueError("ok 须为结果映射，如 {proxy_warning: true} / ok takes a mapping of what the result "
                                 "says, e.g. {proxy_warning: true}")
            out["details"] = value
        elif form == "reject":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise ValueError("reject 须为规则编号或其列表 / reject takes a rule id or a list of rule ids")
            out["rules"] = tuple(values)
        elif form == "overdue":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("overdue 须为 OBLIGATION_ID:SUBJECT_ID 列表 / overdue takes a list of "
                                 "OBLIGATION_ID:SUBJECT_ID keys")
            out["rules"] = tuple(value)
        elif form in ("deny", "deny_includes"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{form} 须为规则编号列表 / {form} takes a list of rule ids")
            out["rules"] = tuple(value)
        if "next_allowed_at" in raw:
            out["checks_next_allowed_at"] = True
            out["next_allowed_at"] = raw["next_allowed_at"]
        if "quota" in raw:
            out["quota"] = raw["quota"]
        return out

    def as_given(self) -> Any:
        """The expectation as the file wrote it (for reports)."""
        if self.kind in ("allow", "ok") and not self.quota and not self.checks_next_allowed_at and not self.details:
            return self.kind
        if self.kind == "ok":
            return {"ok": dict(self.details or {})}
        out: dict[str, Any] = {}
        if self.kind == "reject":
            out["reject"] = self.rules[0] if len(self.rules) == 1 else list(self.rules)
        elif self.kind == "overdue":
            out["overdue"] = list(self.rules)
        elif self.kind == "allow":
            out["allow"] = True
        elif self.kind != "ok":
            out[self.kind] = list(self.rules)
        if self.checks_next_allowed_at:
            out["next_allowed_at"] = self.next_allowed_at.isoformat() if self.next_allowed_at else None
        if self.quota is not None:
            out["quota"] = dict(self.quota)
        return out


class Step(Strict):
    at: AwareDatetime
    attempt: g.AttemptIn | None = None
    outcome: g.OutcomeIn | None = None
    repayment: RepaymentIn | None = None
    contact_refused: ContactRefusedIn | None = None
    debtor_status: DebtorStatusIn | None = None
    agency_status: AgencyStatusIn | None = None
    collector_status: CollectorStatusIn | None = None
    training: TrainingIn | None = None
    template_approval: TemplateApprovalIn | None = None
    placement: PlacementIn | None = None
    agency_evaluation: EvaluationIn | None = None
    agency_commitments: CommitmentsIn | None = None
    agency_listing: ListingIn | None = None
    inspection: InspectionIn | None = None
    rectification_order: RectificationOrderIn | None = None
    rectification_done: RectificationDoneIn | None = None
    complaint: ComplaintIn | None = None
    complaint_assign: ComplaintAssignIn | None = None
    complaint_resolved: ComplaintResolvedIn | None = None
    incident: IncidentIn | None = None
    incident_notified: IncidentNotifiedIn | None = None
    check_obligations: CheckObligationsIn | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        present = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(present) != 1:
            raise ValueError(
                f"每步须且仅须含一个动作，现有 {present or '无'} / each step needs exactly one action of {', '.join(ACTIONS)}"
            )
        action = present[0]
        if action == "attempt":
            if self.expect is None:
                raise ValueError("attempt 步骤须有 expect / an attempt step needs `expect`")
            if self.expect.kind in ("ok", "reject", "overdue"):
                raise ValueError("attempt 的 expect 须为 allow、deny 或 deny_includes / attempt expects allow, deny or deny_includes")
        elif action == "check_obligations":
            if self.expect is None or self.expect.kind != "overdue":
                raise ValueError("check_obligations 步骤须有 expect: {overdue: [...]} / a check_obligations step needs "
                                 "`expect: {overdue: [KEY, ...]}`")
        elif self.expect is not None and self.expect.kind not in ("ok", "reject"):
            raise ValueError(f"{action} 步骤的 expect 只能是 ok 或 reject / a {action} step expects ok or {{reject: RULE_ID}}")
        return self

    @property
    def action(self) -> str:
        return next(a for a in ACTIONS if getattr(self, a) is not None)

    @property
    def payload(self) -> Any:
        return getattr(self, self.action)


class Scenario(Strict):
    scenario: str = Field(min_length=1)
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    policy: dict[Ident, PolicyIn] = {}
    setup: World
    steps: list[Step]

    @property
    def start(self) -> datetime | None:
        return self.steps[0].at if self.steps else None

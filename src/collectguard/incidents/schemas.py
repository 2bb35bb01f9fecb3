"""What incidents accept and answer. The step payloads of OVERSIGHT.md (`incident`, `incident_notified`) are the
models below; the API's create body adds a `ref` and has the server make the id (`IncidentCreate`), and a notice is
posted to its incident (`NotificationBody`). The answers carry each incident's deadline and its countdown.

`category` names the major risk of art. 24 and is required for `major_risk`; a `pi_breach` takes none (a breach
serious enough to be a major risk is reported as a `major_risk` of category `pi_leak`, with its own 48 h)."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from collectguard.fields import Instant, Note
from collectguard.registry.create import ServerMade
from collectguard.registry.schemas import Ident, Strict


class IncidentKind(StrEnum):
    PI_BREACH = "pi_breach"  # 个人信息可能泄露、篡改、丢失 (art. 21(二)): the institution told within 24 h
    MAJOR_RISK = "major_risk"  # 重大风险事件 (art. 24): a written report to the SRO within 48 h


class MajorRiskCategory(StrEnum):
    """The events of art. 24."""

    INVESTIGATION = "investigation"  # 催收业务被调查或处罚
    VIOLENT_COLLECTION = "violent_collection"  # 暴力催收危及人身安全
    PI_LEAK = "pi_leak"  # 严重个人信息泄露
    ANTI_COLLECTION = "anti_collection"  # "反催收"黑灰产严重干扰
    OTHER = "other"  # 其他重大风险


class NotifyTo(StrEnum):
    INSTITUTION = "institution"  # the agency tells the institution (art. 21(二))
    SRO = "sro"  # the written report to the self-regulatory organisation (art. 24)


class ReportIn(Strict):
    """The written report's four parts (art. 24). Empty parts are accepted here and refused by the service, so the
    refusal cites `art24-major-risk-48h`."""

    cause: Note = Field(default="", description="一、事件原因 cause")
    state: Note = Field(default="", description="二、目前状况 current state")
    impact: Note = Field(default="", description="三、可能影响 possible impact")
    measures: Note = Field(default="", description="四、应对措施 measures taken")


class IncidentIn(Strict):
    id: Ident
    institution: Ident
    agency: Ident | None = None
    kind: IncidentKind
    category: MajorRiskCategory | None = Field(default=None, description="重大风险类别 major risk category")
    discovered_at: Instant = Field(description="发现时间 when it was discovered (the countdown starts here)")
    summary: Note | None = None


class IncidentNotifiedIn(Strict):
    incident: Ident
    to: NotifyTo
    report: ReportIn | None = None


# The four parts of the written report (art. 24), in the report's order: field, Chinese heading, English heading.
REPORT_PARTS: tuple[tuple[str, str, str], ...] = (
    ("cause", "一、事件原因", "1. Cause"),
    ("state", "二、目前状况", "2. Current state"),
    ("impact", "三、可能影响", "3. Possible impact"),
    ("measures", "四、应对措施", "4. Measures"),
)


# -- what the API accepts ---------------------------------------------------------------------------------------
class IncidentCreate(ServerMade, IncidentIn):
    """POST /v1/incidents: an agency operator's `agency` is its own (another's is not found)."""

    id_kind = "incident"
    setup = IncidentIn

    def with_new_id(self) -> IncidentIn:
        """The step model with a fresh server-made id `inc_<80 random bits>` (registry/ids.py's form)."""
        fields = self.model_dump(by_alias=True, exclude={"id", "ref"})
        return IncidentIn.model_validate({**fields, "id": f"inc_{secrets.token_hex(10)}"})


class NotificationBody(Strict):
    """POST /v1/incidents/{id}/notifications."""

    to: NotifyTo
    report: ReportIn | None = None


# -- what it answers --------------------------------------------------------------------------------------------
class DeadlineOut(BaseModel):
    """The incident's deadline (art21-breach-24h or art24-major-risk-48h) as of `as_of`: the time left, or how
    long ago it passed; met by the notice `met_by` (late or on time)."""

    obligation: str
    article: str
    title_zh: str
    title_en: str
    hours: int
    due_at: datetime
    as_of: datetime
    remaining_seconds: int = Field(description="距截止的秒数，已过期为负 seconds left (negative once it has passed)")
    status: str = Field(description="met, due or overdue")
    met_at: datetime | None = None
    met_by: int | None = Field(default=None, description="履行该义务的通知序号 the notice (n) that met it")
    late: bool = False
    late_seconds: int = 0


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    n: int
    to: str
    at: datetime
    due_at: datetime | None = None
    late: bool = False
    late_seconds: int = 0
    cause: str | None = None
    state: str | None = None
    impact: str | None = None
    measures: str | None = None
    by: str | None = None
    ledger_seq: int


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: str
    institution: str = Field(validation_alias="institution_id")
    agency: str | None = Field(default=None, validation_alias="agency_id")
    kind: str
    category: str | None = None
    summary: str | None = None
    discovered_at: datetime
    reported_at: datetime
    reported_by: str | None = None
    status: str
    ledger_seq: int
    deadline: DeadlineOut | None = Field(default=None, description="截止与倒计时 the deadline and its countdown; "
                                                                   "none for an institution's own pi_breach")
    notifications: list[NotificationOut] = []

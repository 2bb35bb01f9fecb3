"""What incidents accept and answer. The step payloads of OVERSIGHT.md (`incident`, `incident_notified`) are the
models below."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from collectguard.fields import Instant, Note
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

    cause: Note = ""  # 原因
    state: Note = ""  # 目前状况
    impact: Note = ""  # 可能影响
    measures: Note = ""  # 应对措施


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

"""A year of oversight history for the demo lender, so a new user's calendar shows something real: the two
entrusted agencies' admission evaluations (with their reports stored as evidence files) and written commitments
before their agreements began, the published complaint channels and agency contacts (arts. 13, 23), collectors'
monitoring thresholds and a performance scheme that never pays on recovery alone (art. 6), inspections with findings, one rectification done on time and one overdue, and a
self-inspection that is now more than a year old. With the collectors whose training lapsed (organisations.py)
the calendar at the world's day has overdue items of three kinds (self-inspection, rectification, training).

Each event is recorded at its own past instant, through the same services as the API, in the loader's
transaction (the ledger's sequence is the order of recording; each record's `at` is when the event happened).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from collectguard.demo import organisations as orgs
from collectguard.monitoring import service as monitoring
from collectguard.monitoring.schemas import SchemeIn, ThresholdsIn
from collectguard.oversight import files
from collectguard.oversight import service as oversight
from collectguard.oversight.schemas import (
    CommitmentsIn,
    EvaluationIn,
    InspectionIn,
    RectificationDoneIn,
    RectificationOrderIn,
    StaffIn,
)
from collectguard.public import service as disclosure
from collectguard.public.schemas import AgencyContactIn, ComplaintChannelsIn
from collectguard.registry.unit import Unit

# Days before the world's day on which each event happened.
ADMISSION_BEFORE = {orgs.QINGHE: 130, orgs.HENGYUAN: 126}
LAST_SELF_INSPECTION_BEFORE = 380  # a year and 15 days: overdue since 15 days ago

ADMISSION_SCORES = {
    orgs.QINGHE: {"licence": 92, "lawful_operation": 88, "going_concern": 85, "internal_control": 80,
                  "professional_capability": 86, "information_security": 84, "premises_equipment": 78,
                  "social_responsibility": 80, "reputation": 82},
    orgs.HENGYUAN: {"licence": 90, "lawful_operation": 84, "going_concern": 76, "internal_control": 72,
                    "professional_capability": 79, "information_security": 74, "premises_equipment": 81,
                    "social_responsibility": 75, "reputation": 77},
}


@dataclass(frozen=True)
class HistorySummary:
    events: int
    evaluations: int
    inspections: int
    orders: int


def _at(start: date, days_before: int, hour: int = 10) -> datetime:
    return datetime.combine(start - timedelta(days=days_before), time(hour), tzinfo=orgs.SHANGHAI)


def _report(name: str, lines: list[str]) -> bytes:
    return ("\n".join([name, "", *lines, "", "（演示数据 synthetic demo document）"]) + "\n").encode("utf-8")


def record_history(session: Session, start: date, algorithm: str = "sm3") -> HistorySummary:
    """Record the demo lender's oversight history up to the day before `start`, in the caller's transaction."""
    events = 0

    def unit(days_before: int, hour: int = 10) -> Unit:
        nonlocal events
        events += 1
        return Unit(session, at=_at(start, days_before, hour), algorithm=algorithm)

    lender = orgs.LENDER
    u = unit(400, 9)
    oversight.add_staff(u, StaffIn(id="lender-compliance-01", org=lender, role="compliance", name="合规部 周敏"))
    oversight.add_staff(u, StaffIn(id="lender-audit-01", org=lender, role="compliance", name="内审部 陈立"))
    oversight.inspect(unit(LAST_SELF_INSPECTION_BEFORE), InspectionIn(
        id="insp-self-lender-1", institution=lender, kind="self", org=lender, inspector="内审部 陈立",
        findings=[{"rule": "art12-records-complete", "severity": "minor",
                   "note": "3 通外呼缺少结果回报 three calls without an outcome"}]),
        known_rules=oversight.known_rules())

    for agency, before in ADMISSION_BEFORE.items():
        name = orgs.AGENCY_NAMES[agency]
        u = unit(before + 2)
        report = files.store(u, lender, f"{agency}-admission-report.txt", "text/plain; charset=utf-8", _report(
            f"{name} 准入评估报告 admission evaluation report",
            [f"{criterion}: {score}" for criterion, score in ADMISSION_SCORES[agency].items()]))
        oversight.evaluate(unit(before), EvaluationIn(
            id=f"eva-admission-{agency}", institution=lender, agency=agency, kind="admission", passed=True,
            scores=ADMISSION_SCORES[agency], evaluator="合规部 周敏",
            evidence=[{"name": report.name, "hash": report.hash}]))
        u = unit(before - 1)
        signed = files.store(u, lender, f"{agency}-commitments-signed.txt", "text/plain; charset=utf-8", _report(
            f"{name} 书面承诺书 written commitments",
            ["不违规转委托 no subcontracting beyond the agreement", "个人信息保密 confidentiality",
             "接受机构及监管检查 accepting inspections"]))
        oversight.commit(unit(before - 1, 11), CommitmentsIn(
            institution=lender, agency=agency, items=["no_subcontracting", "confidentiality", "accept_inspection"],
            document_hash=signed.hash))

    # 青禾: inspected on schedule, a finding rectified on time, then a surprise inspection with nothing found.
    oversight.inspect(unit(60), _inspection("insp-qinghe-scheduled-1", orgs.QINGHE, "agency_scheduled", start, 60, [
        {"rule": "art16-etiquette", "severity": "major", "note": "抽检录音 2 通语气威胁 two sampled calls threatening"}]),
        known_rules=oversight.known_rules())
    oversight.order(unit(59), RectificationOrderIn(
        id="rect-qinghe-1", institution=lender, agency=orgs.QINGHE, reason="consumer_harm",
        due=start - timedelta(days=30), inspection="insp-qinghe-scheduled-1", finding=1,
        note="培训话术并复检 retrain the scripts and re-inspect"))
    oversight.done(unit(33), RectificationDoneIn(order="rect-qinghe-1", note="已完成话术培训 scripts retrained"))
    oversight.inspect(unit(20), _inspection("insp-qinghe-surprise-1", orgs.QINGHE, "agency_surprise", start, 20, []),
                      known_rules=oversight.known_rules())
    oversight.inspect(unit(45), InspectionIn(id="insp-self-qinghe-1", institution=lender, kind="self",
                                             org=orgs.QINGHE, inspector="青禾 合规专员"),
                      known_rules=oversight.known_rules())

    # 衡远: a scheduled inspection found unrecorded calls; the order is past its due day and not done.
    oversight.inspect(unit(50), _inspection("insp-hengyuan-scheduled-1", orgs.HENGYUAN, "agency_scheduled", start, 50, [
        {"rule": "art16-recording", "severity": "serious", "note": "交互式通话无录音引用 interactive calls without a "
                                                                    "recording reference"}]),
        known_rules=oversight.known_rules())
    oversight.order(unit(49), RectificationOrderIn(
        id="rect-hengyuan-1", institution=lender, agency=orgs.HENGYUAN, reason="illegal_collection",
        due=start - timedelta(days=7), inspection="insp-hengyuan-scheduled-1", finding=1,
        note="补齐录音并整改外呼系统 restore recordings and fix the dialer"))
    _published(unit(398), start)
    u = unit(390)
    monitoring.set_thresholds(u, lender, ThresholdsIn(max_denials_per_day=20, max_after_deny_per_day=3,
                                                      max_against_deny_per_day=0, max_qa_findings_per_day=5))
    monitoring.adopt_scheme(u, lender, SchemeIn.model_validate(PERFORMANCE_SCHEME))
    session.flush()
    return HistorySummary(events=events, evaluations=len(ADMISSION_BEFORE), inspections=5, orders=2)


# Art. 6(二)6: recovery never counts alone; compliance, complaints and information security all weigh.
PERFORMANCE_SCHEME = {
    "collector": {"recovery": 40, "compliance": 30, "complaints": 15, "information_security": 15},
    "agency": {"recovery": 30, "compliance": 25, "complaints": 15, "information_security": 10, "task_quality": 10,
               "records": 10},
}
AGENCY_CONTACTS = {
    orgs.QINGHE: ("021-5000-0000", "上海市浦东新区世纪大道 100 号 青禾大厦 12 层"),
    orgs.HENGYUAN: ("0755-8000-0000", "深圳市南山区科技园 8 号 衡远中心 5 层"),
    orgs.QIMING: ("400-000-0000", "杭州市西湖区文三路 20 号"),
}


def _published(u: Unit, start: date) -> None:
    """What arts. 13 and 23 make public: the complaint channels and process, and each agency's contact."""
    disclosure.set_complaint_channels(u, orgs.LENDER, ComplaintChannelsIn(
        phones=["400-000-0000"], emails=["complaints@yunlan-cf.example.cn"],
        address="上海市黄浦区中山东一路 1 号 云岚消费金融 客户投诉中心 200002",
        service_hours="每日 9:00–21:00 daily", response_days=15))
    for agency, (phone, address) in AGENCY_CONTACTS.items():
        disclosure.set_agency_contact(u, agency, AgencyContactIn(phone=phone, address=address))


def _inspection(ident: str, agency: str, kind: str, start: date, before: int,
                findings: list[dict[str, Any]]) -> InspectionIn:
    """An inspection of the 30 days before it, with a sample of 40 attempts whose seed is recorded."""
    day = start - timedelta(days=before)
    return InspectionIn(id=ident, institution=orgs.LENDER, kind=kind, org=agency, inspector="内审部 陈立",
                        period_from=day - timedelta(days=30), period_to=day - timedelta(days=1), sample_size=40,
                        seed=hashlib.sha256(ident.encode()).hexdigest()[:16],
                        findings=findings)

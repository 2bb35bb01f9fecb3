"""Monitoring's changes, each in the caller's unit of work and in the ledger (services never commit): thresholds,
a day's run that raises flags, a flag's suspension or dismissal, the performance scheme; and an agency's evidence
for its suggested grades (a read)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from collectguard.agencies.repository import family
from collectguard.collectors import service as collectors
from collectguard.collectors.models import Collector, CollectorAcceptance
from collectguard.collectors.schemas import CollectorStatusIn
from collectguard.errors import Conflict
from collectguard.ledger.tags import Tag
from collectguard.monitoring import repository as repo
from collectguard.monitoring import scoring
from collectguard.monitoring.models import CollectorFlag, MonitoringThresholds, PerformanceScheme
from collectguard.monitoring.schemas import (
    THRESHOLD_OF,
    AgencyEvidence,
    FlagStatus,
    SchemeIn,
    ThresholdsIn,
)
from collectguard.registry.models import Institution
from collectguard.registry.repository import institution_zone
from collectguard.registry.unit import Unit
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.vocabulary import CollectorStatus

ARTICLE_ZH = "第6条第(二)款第6项"
ARTICLE_EN = "art. 6(二)6"
# Never 0 (art. 6(二)6), with their Chinese names.
REQUIRED = {"compliance": "合规", "complaints": "投诉", "information_security": "信息安全"}


# == thresholds ======================================================================================
def set_thresholds(unit: Unit, institution_id: str, data: ThresholdsIn) -> MonitoringThresholds:
    """Replace the institution's thresholds (a limit not sent is no longer watched). Writers of one institution's
    monitoring settings are serialised on its row (two first settings never race to insert)."""
    unit.lock(Institution.id, institution_id)
    row = repo.thresholds(unit.session, institution_id, lock=True)
    if row is None:
        row = MonitoringThresholds(institution_id=institution_id)
        unit.session.add(row)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.changed_at = unit.at
    unit.record(Tag.MONITORING_THRESHOLDS_CHANGED, institution_id, data.model_dump(mode="json"), institution_id)
    return row


# == a day's run =====================================================================================
def run_day(unit: Unit, institution_id: str, day: date) -> tuple[list[CollectorFlag], list[int], list[str]]:
    """Compare every collector's figures for `day` with the institution's thresholds and raise a flag for each
    exceeded (a figure above its limit), with its evidence. Idempotent: a flag already raised for the same
    collector, day and metric is left as it is, and reported in `already`. With `auto_suspend` the collector is
    suspended for the institution at once. Runs of one institution are serialised (the thresholds row is locked).
    Returns (raised, already raised flags' ids, collectors suspended)."""
    limits = repo.thresholds(unit.session, institution_id, lock=True)
    if limits is None:
        return [], [], []
    existing = repo.flags_of_day(unit.session, institution_id, day)
    raised: list[CollectorFlag] = []
    already: list[int] = []
    suspended: list[str] = []
    for t in repo.collector_days(unit.session, institution_id, day, day):
        for metric, column in THRESHOLD_OF.items():
            limit = getattr(limits, column)
            value = t.value(metric)
            if limit is None or value <= limit:
                continue
            old = existing.get((t.collector, metric.value))
            if old is not None:
                already.append(old.id)
                continue
            kind, ids = t.evidence(metric)
            row = CollectorFlag(institution_id=institution_id, collector_id=t.collector, agency_id=t.agency, day=day,
                                metric=metric.value, value=value, threshold=limit, evidence={kind: ids},
                                status=FlagStatus.OPEN.value, raised_at=unit.at, changed_at=unit.at)
            unit.session.add(row)
            unit.session.flush()
            existing[(t.collector, metric.value)] = row
            unit.record(Tag.MONITORING_FLAG_RAISED, str(row.id), {
                "collector": t.collector, "agency": t.agency, "day": day, "metric": metric.value, "value": value,
                "threshold": limit, "evidence": {kind: ids}}, institution_id)
            raised.append(row)
            if limits.auto_suspend:
                if suspend(unit, row, note="auto_suspend", auto=True):
                    suspended.append(t.collector)
    return raised, sorted(set(already)), sorted(set(suspended))


def _active_for(unit: Unit, institution_id: str, collector_id: str) -> bool:
    """Whether the collector may still collect for the institution as far as its status goes (the gate's view:
    the shared record, and the institution's own acceptance of another organisation's collector)."""
    collector = unit.session.get(Collector, collector_id)
    if collector is None or collector.status != CollectorStatus.ACTIVE.value:
        return False
    acceptance = unit.session.get(CollectorAcceptance, (institution_id, collector_id))
    return acceptance is None or acceptance.status == CollectorStatus.ACTIVE.value


def _open(row: CollectorFlag, action: str) -> None:
    if row.status != FlagStatus.OPEN.value:
        raise Conflict(f"标记 {row.id} 已处理（{row.status}），不能{'暂停' if action == 'suspend' else '驳回'}",
                       f"flag {row.id} is already {row.status}: it cannot be {action}ed", field="flag_id",
                       code="flag-not-open")


def suspend(unit: Unit, row: CollectorFlag, note: str | None = None, *, auto: bool = False) -> bool:
    """Suspend the flag's collector for the flag's institution (collectors.service.collector_status: the gate then
    denies it with art6-collector-qualified) and mark the flag suspended. A collector already suspended is left as
    it is; returns whether this suspended it."""
    _open(row, "suspend")
    changed = _active_for(unit, row.institution_id, row.collector_id)
    if changed:
        collectors.collector_status(unit, CollectorStatusIn(collector=row.collector_id,
                                                            status=CollectorStatus.SUSPENDED),
                                    institution=row.institution_id)
    row.status, row.note, row.changed_at = FlagStatus.SUSPENDED.value, note, unit.at
    unit.record(Tag.MONITORING_FLAG_SUSPENDED, str(row.id), {"collector": row.collector_id, "note": note,
                                                             "auto": auto, "collector_suspended": changed},
                row.institution_id)
    return changed


def dismiss(unit: Unit, row: CollectorFlag, note: str) -> CollectorFlag:
    _open(row, "dismiss")
    row.status, row.note, row.changed_at = FlagStatus.DISMISSED.value, note, unit.at
    unit.record(Tag.MONITORING_FLAG_DISMISSED, str(row.id), {"collector": row.collector_id, "note": note},
                row.institution_id)
    return row


# == the performance scheme (art. 6(二)6) ==============================================================
def _refuse(subject: str, criterion: str, zh: str, en: str) -> Conflict:
    return Conflict(f"{zh}（{ARTICLE_ZH}）", f"{en} ({ARTICLE_EN})", field=f"{subject}.{criterion}",
                    code="art6-performance-metrics")


def check_scheme(data: SchemeIn) -> None:
    """Refuse a scheme where recovery counts alone, or where compliance, complaints or information security weigh
    nothing (a criterion left out weighs 0), for the collectors or for the agencies."""
    for subject, weights in (("collector", data.collector.weights()), ("agency", data.agency.weights())):
        label_zh = "催收人员" if subject == "collector" else "合作机构"
        others = [name for name, w in weights.items() if name != "recovery" and w > 0]
        if weights["recovery"] > 0 and not others:
            raise _refuse(subject, "recovery", f"{label_zh}考核不得仅以回收业绩计",
                          f"the {subject} assessment may not count recovery alone")
        for name, zh in REQUIRED.items():
            if weights[name] == 0:
                raise _refuse(subject, name, f"{label_zh}考核须包含{zh}（{name}），其权重不得为 0",
                              f"the {subject} assessment must weigh {name}: it may not be 0")


def _text(weights: dict[str, Decimal]) -> dict[str, str]:
    return {name: format(w.normalize(), "f") for name, w in weights.items()}


def adopt_scheme(unit: Unit, institution_id: str, data: SchemeIn) -> PerformanceScheme:
    """A new version of the institution's performance scheme, refused (409, art6-performance-metrics) where the
    guideline forbids it. Every accepted version is kept and recorded."""
    check_scheme(data)
    unit.lock(Institution.id, institution_id)  # two adoptions never take the same version
    current = repo.scheme(unit.session, institution_id)
    version = 1 if current is None else current.version + 1
    collector, agency = _text(data.collector.weights()), _text(data.agency.weights())
    seq = unit.record(Tag.PERFORMANCE_SCHEME_ADOPTED, institution_id,
                      {"version": version, "collector": collector, "agency": agency}, institution_id)
    row = PerformanceScheme(institution_id=institution_id, version=version, collector=collector, agency=agency,
                            adopted_at=unit.at, ledger_seq=seq)
    unit.session.add(row)
    return row


# == an agency's evidence (art. 18(二)) ===============================================================
def _rate(part: int, whole: int) -> Decimal:
    return scoring.share(part, whole) or Decimal(0)


def agency_evidence(session: Session, institution_id: str, agency_id: str, since: datetime,
                    until: datetime) -> AgencyEvidence:
    """What the institution's attempts and QA findings say about an agency and its subcontractors over [since,
    until): denials, repeats after a deny, contacts against a deny, QA findings per 1,000 connected calls, records
    completeness (allowed attempts whose outcome was reported), the share of interactive voice and video attempts
    and visits that declared their recording (the attempt's `recording`, art. 16(一)2; outcomes carry no recording
    reference), complaints registered in the period about the agency, its subcontractors or their collectors (and
    those resolved in it with a root cause naming a rule) — and the suggested grades (monitoring.scoring)."""
    orgs = family(session, agency_id)
    zone = institution_zone(session, institution_id)
    c = repo.evidence_counts(session, institution_id, since, until, orgs, zone)
    by_rule, findings_by_rule = Counter(c.denials_by_rule), Counter(c.findings_by_rule)
    findings = sum(findings_by_rule.values())
    per_1000 = (Decimal(findings) * 1000 / c.calls).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) \
        if c.calls else Decimal(0)
    security = sum(n for rule, n in by_rule.items() if rule in scoring.SECURITY_RULES) + \
        sum(n for rule, n in findings_by_rule.items() if rule in scoring.SECURITY_RULES)
    completeness, recording_share = scoring.share(c.reported, c.allowed), scoring.share(c.recorded, c.interactive)
    counted = repo.complaint_counts(session, institution_id, since, until, orgs)
    complaints = counted.registered
    suggested = scoring.suggest(scoring.Inputs(
        attempts=c.attempts, denied=c.denied, after_deny=c.after_deny, against_deny=c.against_deny, calls=c.calls,
        findings_per_1000_calls=per_1000, security_events=security, completeness=completeness,
        recording_share=recording_share, complaints=complaints))
    return AgencyEvidence(
        institution_id=institution_id, agency_id=agency_id, agencies=sorted(orgs), since=since, until=until,
        attempts=c.attempts, denied=c.denied, denial_rate=_rate(c.denied, c.attempts),
        denials_by_rule=dict(sorted(by_rule.items())),
        denial_rate_by_rule={rule: _rate(n, c.attempts) for rule, n in sorted(by_rule.items())},
        after_deny=c.after_deny, against_deny=c.against_deny, calls=c.calls, qa_findings=findings,
        qa_findings_by_rule=dict(sorted(findings_by_rule.items())), qa_findings_per_1000_calls=per_1000,
        complaints=complaints, complaints_substantiated=counted.substantiated,
        complaints_by_rule=counted.substantiated_by_rule, outcomes_expected=c.allowed, outcomes_reported=c.reported,
        records_completeness=completeness, interactive=c.interactive, interactive_recorded=c.recorded,
        recording_share=recording_share, suggested=suggested)


def local_today(at: datetime, session: Session, institution_id: str) -> date:
    """Today in the institution's zone."""
    return local_date(at, institution_zone(session, institution_id))


def flag_payload(row: CollectorFlag) -> dict[str, Any]:
    """A flag as FlagOut reads it (the row's own names)."""
    return {"id": row.id, "institution_id": row.institution_id, "collector": row.collector_id,
            "agency": row.agency_id, "day": row.day, "metric": row.metric, "value": row.value,
            "threshold": row.threshold, "evidence": row.evidence, "status": row.status, "note": row.note,
            "raised_at": row.raised_at, "changed_at": row.changed_at}

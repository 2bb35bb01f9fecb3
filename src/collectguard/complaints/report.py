"""投诉报告 An agency's periodic complaint report to the institution (art. 22: "agencies report their complaint
handling to the institution regularly"), generated from the records — never typed in.

The report covers the complaints of one institution about the agency, its subcontractors or their collectors
(`agencies.repository.family`) registered on the local days `period_from` … `period_to` (the institution's zone),
each as it stood at `at` (a step recorded later is not yet taken):

- counts by channel and by status;
- answered on time (resolved on or before its due day — the extended one when the deadline was extended), answered
  late, open (not resolved, its due day not passed) and overdue (not resolved, its due day passed);
- the median number of days from registration to the answer (local days; null when none was answered);
- root causes by rule id, with the rule's article and headline (a complaint citing two rules counts under both), and
  how many answered complaints named a cause in words only;
- complaints per 1,000 attempts: the period's attempts by the same organisations' collectors (gate.daily);
- recusals: complaints the institution investigates itself because they are about the agency (art. 22);
- proxy complaints without valid authorisation (the complainant warned), extensions, and the anti-collection
  signals raised on the period's complaints (art. 27: flags for a person to review, by signal).

No personal data: ids, counts and rule ids only. Submitting a report records its figures in the ledger
(COMPLAINT_REPORT_MADE) — the ledger is where submitted reports are read back from."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies.repository import family
from collectguard.collectors.models import Collector
from collectguard.complaints.models import Complaint
from collectguard.complaints.signal_models import ComplaintSignal, ComplaintSignalMember
from collectguard.errors import InvalidInput
from collectguard.gate import daily
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.registry.repository import institution_zone
from collectguard.registry.unit import Unit
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile

CHANNELS = ("phone", "email", "letter", "web", "regulator")
STATUSES = ("registered", "verified", "investigating", "resolved")
MAX_DAYS = 366


class RootCause(BaseModel):
    rule: str = Field(description="规则编号 rule id")
    article: str = Field(description="条款 the guideline's article ('' for a rule the profile does not know)")
    title_zh: str
    title_en: str
    complaints: int = Field(description="以此为根本原因的投诉数 complaints answered with this root cause")


class AgencyComplaintReport(BaseModel):
    """合作机构投诉处理情况报告 An agency's complaint report for a period (art. 22), from the records."""

    model_config = ConfigDict(populate_by_name=True)
    institution_id: str
    agency_id: str
    agencies: list[str] = Field(description="计入的机构：本机构及其转委托机构 the agency and its subcontractors")
    period_from: date = Field(serialization_alias="from", description="首日（机构时区）first local day")
    period_to: date = Field(serialization_alias="to", description="末日（含）last local day, inclusive")
    zone: str
    at: AwareDatetime = Field(description="统计时点：各投诉状态以此为准 the instant each complaint's state is read at")
    complaints: int = Field(description="期间登记的投诉数 complaints registered in the period")
    by_channel: dict[str, int]
    by_status: dict[str, int]
    answered_on_time: int = Field(description="按期答复 resolved on or before the (extended) due day")
    answered_late: int = Field(description="逾期答复 resolved after the due day")
    open: int = Field(description="未答复、未逾期 not yet answered, due day not passed")
    overdue: int = Field(description="未答复、已逾期 not answered, due day passed")
    extended: int = Field(description="延长答复期限的投诉 complaints whose deadline was extended (with a reason)")
    median_days_to_answer: float | None = Field(description="登记至答复的天数中位数 median local days from "
                                                            "registration to the answer (null: none answered)")
    root_causes: list[RootCause] = Field(description="根本原因按规则 root causes by rule, most first")
    root_causes_text_only: int = Field(description="仅以文字说明根本原因的已答复投诉 answered complaints whose "
                                                   "root cause names no rule")
    attempts: int = Field(description="同期本机构催收人员的尝试数 the period's attempts by the same collectors")
    complaints_per_1000_attempts: Decimal | None = Field(description="每千次尝试投诉数 (null: no attempts)")
    recusals: int = Field(description="因回避由本机构自行调查的投诉 complaints the institution investigates itself "
                                      "(about the agency: recusal, art. 22)")
    proxy_warnings: int = Field(description="无有效授权的代理投诉（已提示投诉人）proxy complaints without valid "
                                            "authorisation (the complainant warned)")
    signals: int = Field(description="期间投诉触发的反催收信号数 anti-collection signals raised on them (art. 27)")
    signals_by_kind: dict[str, int]
    flagged_complaints: int = Field(description="涉及未排除信号的投诉数 complaints part of a flag not dismissed "
                                                "(raised on them or sharing the signal)")
    complaint_ids: list[str] = Field(description="计入的投诉编号 the complaints counted (ids only)")


class SubmittedReport(BaseModel):
    """A report as submitted: who, when, its ledger record and its figures."""

    agency_id: str
    period_from: date = Field(serialization_alias="from")
    period_to: date = Field(serialization_alias="to")
    submitted_at: AwareDatetime
    submitted_by: str | None
    ledger_seq: int
    figures: dict[str, Any]


@dataclass(frozen=True)
class _Cited:
    article: str
    zh: str
    en: str


# The conduct rules a complaint's root cause may cite that the gate's profile does not hold (RULES.md, "Conduct
# rules": found by quality inspection and investigations, not decided by the gate), with their articles.
CONDUCT = {
    "art11-identity": _Cited("11(一), 16(一)1", "未表明身份、冒充公检法或律师、以个人名义催收",
                             "identity not stated or faked, collecting in a personal name"),
    "art11-truthful": _Cited("11(二)", "虚假、误导或夸大的陈述", "misleading, ambiguous or exaggerated statements"),
    "art11-official-channel": _Cited("11(三)", "要求通过非指定渠道还款", "repayment asked through an unofficial channel"),
    "art11-no-extra-fees": _Cited("11(四)", "以催收名义收取费用", "a fee charged in the name of collection"),
    "art11-no-illegal-funding": _Cited("11(四)", "诱导或强迫非法筹资还款", "the debtor pushed to raise money unlawfully"),
    "art16-recording-notice": _Cited("16(一)2", "未告知录音录像", "the recording not announced"),
    "art16-etiquette": _Cited("16(一)3", "辱骂、威胁、恐吓、骚扰", "insults, threats, intimidation, harassment"),
    "art16-visit-conduct": _Cited("16(三)5", "外访擅入住所或办公场所、打扰家人同事",
                                  "a visit entering without consent, disturbing family or co-workers"),
    "art8-contact-no-disclosure": _Cited("8(三)", "向联系人披露债务信息或要求其还款",
                                         "debt details told to a contact, or a contact asked to pay"),
}


def cite(rule: str) -> tuple[str, str, str]:
    """(article, zh, en) of a rule id a root cause names: the profile's rules and obligations, the conduct rules;
    an id neither knows as itself."""
    found = _catalogue().get(rule) or CONDUCT.get(rule)
    return (found.article, found.zh, found.en) if found is not None else ("", rule, rule)


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, _Cited]:
    profile = load_profile(DEFAULT_PROFILE)
    out = {r.id: _Cited(r.article, r.message_zh, r.message_en) for r in profile.rules}
    out.update({o.id: _Cited(o.article, o.title_zh, o.title_en) for o in profile.obligations.values()})
    return out


def check_period(period_from: date, period_to: date) -> None:
    if period_to < period_from:
        raise InvalidInput("末日早于首日", "`to` is before `from`", field="to")
    if (period_to - period_from).days + 1 > MAX_DAYS:
        raise InvalidInput(f"报告期间至多 {MAX_DAYS} 天", f"a report covers at most {MAX_DAYS} days", field="to")


def due_of(c: Any) -> date:
    """The complaint's answer is due by this local day (the extended one when extended)."""
    return c.extended_due_date or c.due_date


def status_at(c: Any, at: datetime) -> str:
    """Where the complaint stood at `at`, from its recorded instants (a later step is not yet taken)."""
    for status, when in (("resolved", c.resolved_at), ("investigating", c.assigned_at), ("verified", c.verified_at)):
        if when is not None and _aware(when) <= at:
            return status
    return "registered"


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# What the report reads of each complaint (never the encrypted personal columns).
COLUMNS = (Complaint.id, Complaint.channel, Complaint.status, Complaint.day, Complaint.due_date,
           Complaint.extended_due_date, Complaint.verified_at, Complaint.assigned_at, Complaint.resolved_at,
           Complaint.resolved_day, Complaint.root_cause_rules, Complaint.root_cause.is_not(None).label("has_cause"),
           Complaint.handled_by_institution, Complaint.proxy_warning)


def _about(institution: str, orgs: Sequence[str], period_from: date, period_to: date) -> list[ColumnElement[bool]]:
    collectors = select(Collector.id).where(Collector.org_id.in_(orgs)).scalar_subquery()
    return [Complaint.institution_id == institution, Complaint.day >= period_from, Complaint.day <= period_to,
            or_(Complaint.agency_id.in_(orgs), Complaint.collector_id.in_(collectors))]


def complaints_about(session: Session, institution: str, orgs: Sequence[str], period_from: date,
                     period_to: date) -> list[Any]:
    """The institution's complaints naming one of `orgs` or a collector of one, registered on those local days
    (the `COLUMNS` of each)."""
    return list(session.execute(select(*COLUMNS).where(*_about(institution, orgs, period_from, period_to))
                                .order_by(Complaint.day, Complaint.id)).all())


def agency_report(session: Session, institution: str, agency: str, period_from: date, period_to: date, *,
                  at: datetime | None = None) -> AgencyComplaintReport:
    """The agency's complaint report for the local days `period_from` … `period_to`, each complaint as it stands
    at `at` (default: now). The caller has checked that it may see the agency."""
    check_period(period_from, period_to)
    at = at or datetime.now(UTC)
    zone = institution_zone(session, institution)
    today = local_date(at, zone)
    orgs = sorted(family(session, agency))
    rows = complaints_about(session, institution, orgs, period_from, period_to)
    by_channel = Counter(c.channel for c in rows)
    states = [status_at(c, at) for c in rows]
    by_status = Counter(states)
    on_time = late = still_open = overdue = text_only = 0
    waits: list[int] = []
    causes: Counter[str] = Counter()
    for c, state in zip(rows, states, strict=True):
        if state == "resolved":
            assert c.resolved_day is not None
            waits.append((c.resolved_day - c.day).days)
            if c.resolved_day <= due_of(c):
                on_time += 1
            else:
                late += 1
            if c.root_cause_rules:
                causes.update(set(c.root_cause_rules))
            elif c.has_cause:
                text_only += 1
        elif today > due_of(c):
            overdue += 1
        else:
            still_open += 1
    root_causes = [RootCause(rule=rule, article=a, title_zh=zh, title_en=en, complaints=n)
                   for rule, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))
                   for a, zh, en in [cite(rule)]]
    attempts = sum(t.attempts for t in daily.totals(session, institution, period_from, period_to, orgs=orgs))
    ids = [c.id for c in rows]
    about = _about(institution, orgs, period_from, period_to)
    signals = _signals(session, institution, about)
    return AgencyComplaintReport(
        institution_id=institution, agency_id=agency, agencies=orgs, period_from=period_from, period_to=period_to,
        zone=zone.key, at=at, complaints=len(rows),
        by_channel={ch: by_channel.get(ch, 0) for ch in (*CHANNELS, *sorted(set(by_channel) - set(CHANNELS)))},
        by_status={st: by_status.get(st, 0) for st in (*STATUSES, *sorted(set(by_status) - set(STATUSES)))},
        answered_on_time=on_time, answered_late=late, open=still_open, overdue=overdue,
        extended=sum(1 for c in rows if c.extended_due_date is not None),
        median_days_to_answer=float(statistics.median(waits)) if waits else None,
        root_causes=root_causes, root_causes_text_only=text_only, attempts=attempts,
        complaints_per_1000_attempts=(Decimal(len(rows)) * 1000 / attempts).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP) if attempts else None,
        recusals=sum(1 for c in rows if c.handled_by_institution),
        proxy_warnings=sum(1 for c in rows if c.proxy_warning),
        signals=sum(signals.values()), signals_by_kind=dict(sorted(signals.items())),
        flagged_complaints=_flagged(session, institution, about), complaint_ids=ids)


def _signals(session: Session, institution: str, about: list[ColumnElement[bool]]) -> Counter[str]:
    """The signals raised on the report's complaints, by kind."""
    ids = select(Complaint.id).where(*about)
    return Counter({str(k): int(n) for k, n in session.execute(
        select(ComplaintSignal.signal, func.count()).where(ComplaintSignal.institution_id == institution,
                                                           ComplaintSignal.complaint_id.in_(ids))
        .group_by(ComplaintSignal.signal))})


def _flagged(session: Session, institution: str, about: list[ColumnElement[bool]]) -> int:
    """The complaints part of a flag not dismissed: raised on them, or sharing the signal (signal_store.flags_of)."""
    ids = select(Complaint.id).where(*about)
    return int(session.execute(
        select(func.count(func.distinct(ComplaintSignalMember.complaint_id)))
        .join(ComplaintSignal, ComplaintSignal.id == ComplaintSignalMember.signal_id)
        .where(ComplaintSignal.institution_id == institution, ComplaintSignal.status != "dismissed",
               ComplaintSignalMember.complaint_id.in_(ids))).scalar_one())


# -- submitting ---------------------------------------------------------------------------------------------
def subject_of(agency: str, period_from: date, period_to: date) -> str:
    """The ledger subject of a submitted report: the agency and its period."""
    return f"{agency}:{period_from.isoformat()}:{period_to.isoformat()}"


def figures_of(report: AgencyComplaintReport) -> dict[str, Any]:
    """What the ledger keeps of a report: its figures, without the complaint ids."""
    return report.model_dump(mode="json", by_alias=True, exclude={"complaint_ids"})


def submit(unit: Unit, report: AgencyComplaintReport, *, by: str | None, note: str | None = None) -> int:
    """Record the report as submitted to the institution (COMPLAINT_REPORT_MADE, its figures and who submitted it);
    returns the ledger seq. A report may be submitted again for the same period (a correction): each is kept."""
    payload = {"agency": report.agency_id, "from": report.period_from.isoformat(),
               "to": report.period_to.isoformat(), "by": by, "note": note, "figures": figures_of(report)}
    return unit.record(Tag.COMPLAINT_REPORT_MADE, subject_of(report.agency_id, report.period_from, report.period_to),
                       payload, report.institution_id)


def submitted(session: Session, institution: str, agencies: Sequence[str], limit: int = 50) -> list[SubmittedReport]:
    """The reports submitted for these agencies, the latest first (read back from the ledger)."""
    prefixes = [f"{a}:" for a in agencies]
    if not prefixes:
        return []
    rows = session.execute(
        select(LedgerRecord.seq, LedgerRecord.at, LedgerRecord.body)
        .where(LedgerRecord.kind == Tag.COMPLAINT_REPORT_MADE.value, LedgerRecord.institution_id == institution,
               or_(*(LedgerRecord.subject.startswith(p) for p in prefixes)))
        .order_by(LedgerRecord.seq.desc()).limit(limit)).all()
    out = []
    for seq, when, body in rows:
        try:
            payload = json.loads(body).get("payload") or {}
        except (ValueError, AttributeError):
            continue
        if payload.get("agency") not in agencies:
            continue
        out.append(SubmittedReport(agency_id=payload["agency"], period_from=date.fromisoformat(payload["from"]),
                                   period_to=date.fromisoformat(payload["to"]), submitted_at=when,
                                   submitted_by=payload.get("by"), ledger_seq=seq,
                                   figures=payload.get("figures") or {}))
    return out

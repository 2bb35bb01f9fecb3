"""Monitoring's queries: the day's figures of every collector of an institution (two statements per period, however
many collectors), its thresholds, flags and performance scheme, and what a caller may see of them (an agency's
operator: its own agency's and its subcontractors' collectors only; anything else is not found, art. 19(五)).

Definitions (natural days in the institution's zone, `registry.repository.institution_zone`):

- an attempt counts on the day it was **asked** (`attempts`, `allowed`, `denied`, `denials_by_rule`: a denied
  attempt counts once under each rule it failed);
- a **repeated attempt after a deny** (`after_deny`) is an attempt by a collector to a party (debtor or contact) for
  the institution that comes, in the order the gate received them (time, then id), after an attempt *denied* to
  the same collector, party and institution on the same natural day. Whether it was itself allowed or denied does not
  matter; each such attempt counts once, however many denials came before it;
- a **contact against a deny** (`against_deny`) is a denied attempt whose connected outcome was reported anyway; it
  counts on the day it counts on under the caps (`rulebook.usage.counted_at`: the day it ended when the outcome
  says so), exactly as in gate/figures.py (`in_window`, `day_bounds` are shared with it);
- a **QA finding** counts on the day its attempt was asked (a finding of `qa_findings` with a category; the clean-call
  marker is not one), under its rule id;
- a **complaint** about a collector counts on the day it was registered (the complaint's local `day`), a
  **substantiated** one (resolved with a root cause naming at least one rule id) on the day it was resolved
  (`resolved_day`); about an agency: a complaint naming the agency, or one of its collectors.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Interval, Text, and_, case, cast, func, literal, or_, select, true
from sqlalchemy.orm import Session

from collectguard.collectors.models import Collector
from collectguard.complaints.models import Complaint
from collectguard.db.query import where_given
from collectguard.errors import NotFound
from collectguard.gate.figures import day_bounds, in_window
from collectguard.gate.models import AttemptRow
from collectguard.monitoring.models import CollectorFlag, MonitoringThresholds, PerformanceScheme
from collectguard.monitoring.schemas import Metric
from collectguard.qa.storage import QaFindingRow
from collectguard.registry.repository import institution_zone
from collectguard.rulebook.calendar import local_date
from collectguard.rulebook.usage import counted_at
from collectguard.rulebook.vocabulary import Channel, Mode

RECORDED_CHANNELS = frozenset({Channel.VOICE.value, Channel.VIDEO.value})


def period(session: Session, institution_id: str, first: date, last: date) -> tuple[ZoneInfo, datetime, datetime]:
    """The zone and the instants [since, until) of the natural days `first` … `last`."""
    zone = institution_zone(session, institution_id)
    return zone, day_bounds(first, zone)[0], day_bounds(last, zone)[1]


# -- the rows -------------------------------------------------------------------------------------------------
def attempt_rows(session: Session, institution_id: str, since: datetime, until: datetime,
                 orgs: Collection[str] | None = None) -> Sequence[Any]:
    """The institution's attempts asked in [since, until) or ended in it (gate.figures.in_window), every collector
    at once (of `orgs` only, when given), in the order the gate received them, with the collector's organisation
    and whether the attempt declared its recording."""
    stmt = (
        select(AttemptRow.id, AttemptRow.collector_id, AttemptRow.party_id, AttemptRow.at, AttemptRow.allowed,
               AttemptRow.failing, AttemptRow.against_deny, AttemptRow.ended_at, AttemptRow.outcome_at,
               AttemptRow.connected, AttemptRow.channel, AttemptRow.mode,
               AttemptRow.request["recording"].as_boolean().label("recording"), Collector.org_id)
        .join(Collector, Collector.id == AttemptRow.collector_id, isouter=True)
        .where(AttemptRow.institution_id == institution_id, in_window(since, until))
        .order_by(AttemptRow.at, AttemptRow.id)
    )
    if orgs is not None:
        stmt = stmt.where(Collector.org_id.in_(orgs))
    return session.execute(stmt).all()


def finding_rows(session: Session, institution_id: str, since: datetime, until: datetime,
                 orgs: Collection[str] | None = None) -> Sequence[Any]:
    """QA findings (not clean-call markers) on the institution's attempts asked in [since, until)."""
    stmt = (
        select(QaFindingRow.id, QaFindingRow.collector_id, QaFindingRow.org_id, QaFindingRow.rule, AttemptRow.at)
        .join(AttemptRow, AttemptRow.id == QaFindingRow.attempt_id)
        .where(QaFindingRow.institution_id == institution_id, QaFindingRow.category.is_not(None),
               AttemptRow.at >= since, AttemptRow.at < until)
        .order_by(QaFindingRow.id)
    )
    if orgs is not None:
        stmt = stmt.where(QaFindingRow.org_id.in_(orgs))
    return session.execute(stmt).all()


def asked_in(rows: Iterable[Any], since: datetime, until: datetime) -> list[Any]:
    return [r for r in rows if since <= r.at < until]


def against_deny_in(rows: Iterable[Any], since: datetime, until: datetime) -> list[Any]:
    """Contacts made against a deny that count in [since, until) (on the day they ended, when told)."""
    return [r for r in rows if r.against_deny and r.outcome_at is not None and since <= counted_at(r) < until]


def after_deny(asked: Iterable[Any], zone: ZoneInfo) -> set[str]:
    """The ids of repeated attempts after a deny (see the module's docstring); `asked` in the gate's order."""
    denied_seen: set[tuple[str, str, date]] = set()
    repeated: set[str] = set()
    for r in asked:
        key = (r.collector_id, r.party_id, local_date(r.at, zone))
        if key in denied_seen:
            repeated.add(r.id)
        if not r.allowed:
            denied_seen.add(key)
    return repeated


def interactive(r: Any) -> bool:
    """An attempt that must be recorded throughout (art. 16(一)2): a visit, or interactive voice or video."""
    return r.channel == Channel.VISIT.value or (r.mode == Mode.INTERACTIVE.value and r.channel in RECORDED_CHANNELS)


# -- an agency's evidence, counted by the database -----------------------------------------------------------
@dataclass(frozen=True)
class EvidenceCounts:
    """What `evidence_counts` counts over [since, until) for some organisations' collectors (the definitions
    above; `after_deny` in the institution's zone)."""

    attempts: int
    denied: int
    denials_by_rule: dict[str, int]
    after_deny: int
    against_deny: int
    calls: int
    allowed: int
    reported: int
    interactive: int
    recorded: int
    findings_by_rule: dict[str, int]


def offsets(zone: ZoneInfo, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (whole seconds) over [since, until), as (first instant, offset) for each stretch of
    one offset, in time order: the first starts at `since`. A change is looked for hour by hour, then found to the
    second (zones change their offset at whole seconds, and never twice within an hour)."""
    def offset(second: float) -> int:
        delta = datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()
        assert delta is not None and delta.microseconds == 0, f"{zone.key}: offsets of whole seconds"
        return int(delta.total_seconds())

    out = [(since, offset(since.timestamp()))]
    at, end = since.timestamp(), until.timestamp()
    while at < end:
        later = min(at + 3600, end)
        if offset(later) != out[-1][1]:
            lo, hi = math.floor(at), math.ceil(later)  # offset(lo) is the current one, offset(hi) the next
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == out[-1][1] else (lo, mid)
            if hi < end:
                out.append((datetime.fromtimestamp(hi, UTC), offset(hi)))
        at = later
    return out


def local_day(column: Any, zone: ZoneInfo, since: datetime, until: datetime, dialect: str) -> ColumnElement[Any]:
    """The natural day in `zone` of an instant column over [since, until) (`rulebook.calendar.local_date`) as an
    SQL expression: the UTC instant moved by the zone's offset, one CASE branch per offset the period knows.
    SQLite keeps instants as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'; its date() rounds to milliseconds, so the
    instant is cut to its second first (the day of t + offset is that of its second: offsets are whole seconds)."""
    def moved(seconds: int) -> ColumnElement[Any]:
        if dialect == "sqlite":
            return func.date(func.substr(column, 1, 19), f"{seconds:+d} seconds")
        return cast(func.timezone("UTC", column) + literal(timedelta(seconds=seconds), Interval()), Date)

    stretches = offsets(zone, since, until)
    if len(stretches) == 1:
        return moved(stretches[0][1])
    return case(*((column < stretches[i + 1][0], moved(seconds)) for i, (_, seconds) in enumerate(stretches[:-1])),
                else_=moved(stretches[-1][1]))


def evidence_counts(session: Session, institution_id: str, since: datetime, until: datetime, orgs: Collection[str],
                    zone: ZoneInfo) -> EvidenceCounts:
    """An agency's evidence counted by the database, in three statements over index ranges: one pass over the
    institution's attempts asked in [since, until) by `orgs`' collectors (`ix_attempts_collector_at`; the repeats
    after a deny by a window over each collector, party and local day), the contacts made against a deny before it
    that ended in it (`ix_attempts_against_deny`), and the QA findings. Exactly what `attempt_rows`, `asked_in`,
    `after_deny`, `against_deny_in` and `finding_rows` give when counted row by row in Python
    (tests/monitoring/test_agency_evidence_sql.py)."""
    dialect = session.get_bind().dialect.name
    collectors = select(Collector.id).where(Collector.org_id.in_(orgs)).scalar_subquery()
    mine = (AttemptRow.institution_id == institution_id, AttemptRow.collector_id.in_(collectors))
    asked = (*mine, AttemptRow.at >= since, AttemptRow.at < until)
    allowed = AttemptRow.allowed.is_(True)
    denied = or_(AttemptRow.allowed.is_(False), AttemptRow.allowed.is_(None))
    # counted_at (rulebook.usage): a denied attempt carried out counts on the day it ended when told
    counted = case((and_(denied, AttemptRow.ended_at.is_not(None)), AttemptRow.ended_at), else_=AttemptRow.at)
    against = and_(AttemptRow.against_deny.is_(True), AttemptRow.outcome_at.is_not(None), counted >= since,
                   counted < until)
    recorded = AttemptRow.channel.in_(RECORDED_CHANNELS)
    inter = or_(AttemptRow.channel == Channel.VISIT.value, and_(AttemptRow.mode == Mode.INTERACTIVE.value, recorded))
    declared = AttemptRow.request["recording"].as_boolean()
    # a repeat after a deny: an earlier attempt (time, then id) of the same collector, party and local day denied
    day = local_day(AttemptRow.at, zone, since, until, dialect)
    before = func.max(case((denied, 1), else_=0)).over(
        partition_by=(AttemptRow.collector_id, AttemptRow.party_id, day), order_by=(AttemptRow.at, AttemptRow.id),
        rows=(None, -1))

    def one(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return case((condition, 1), else_=0)

    each = select(
        one(denied).label("denied"), one(against).label("against"),
        one(and_(AttemptRow.connected.is_(True), recorded)).label("calls"), one(allowed).label("allowed"),
        one(and_(allowed, AttemptRow.outcome_at.is_not(None))).label("reported"), one(inter).label("inter"),
        one(and_(inter, declared)).label("recorded"), before.label("after"),
        case((denied, cast(AttemptRow.failing, Text))).label("failing"),  # the rules a denied attempt failed
    ).where(*asked).subquery()
    names = [c.name for c in each.c if c.name != "failing"]
    # one pass over the attempts: the sums per distinct list of failed rules (a few dozen lists)
    groups = session.execute(select(each.c.failing, func.count().label("attempts"),
                                    *(func.sum(each.c[name]).label(name) for name in names))
                             .group_by(each.c.failing)).all()
    total: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    for g in groups:
        total.update({name: int(g._mapping[name] or 0) for name in ("attempts", *names)})
        for rule_id in set(json.loads(g.failing) or ()) if g.failing is not None else ():
            by_rule[rule_id] += int(g.denied)
    # contacts against a deny asked before the period that ended in it (in_window: asked before `until`)
    earlier = session.execute(select(func.count()).select_from(AttemptRow).where(
        *mine, AttemptRow.against_deny == true(), AttemptRow.ended_at >= since, AttemptRow.ended_at < until,
        AttemptRow.at < since, denied, AttemptRow.outcome_at.is_not(None))).scalar_one()
    rule = func.coalesce(QaFindingRow.rule, "?")
    findings = session.execute(
        select(rule, func.count()).join(AttemptRow, AttemptRow.id == QaFindingRow.attempt_id)
        .where(QaFindingRow.institution_id == institution_id, QaFindingRow.category.is_not(None),
               AttemptRow.at >= since, AttemptRow.at < until, QaFindingRow.org_id.in_(orgs))
        .group_by(rule)).all()
    return EvidenceCounts(
        attempts=total["attempts"], denied=total["denied"], denials_by_rule=dict(by_rule),
        after_deny=total["after"], against_deny=total["against"] + int(earlier), calls=total["calls"],
        allowed=total["allowed"], reported=total["reported"], interactive=total["inter"], recorded=total["recorded"],
        findings_by_rule={str(r): int(k) for r, k in findings})


# -- a collector's day ----------------------------------------------------------------------------------------
@dataclass
class Tally:
    """One collector's figures on one day, with the evidence behind each metric."""

    collector: str
    agency: str | None
    day: date
    attempts: int = 0
    allowed: int = 0
    denied_ids: list[str] = field(default_factory=list)
    denials_by_rule: Counter[str] = field(default_factory=Counter)
    after_deny_ids: list[str] = field(default_factory=list)
    against_deny_ids: list[str] = field(default_factory=list)
    finding_ids: list[int] = field(default_factory=list)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    complaint_ids: list[str] = field(default_factory=list)
    substantiated_ids: list[str] = field(default_factory=list)

    def value(self, metric: Metric) -> int:
        return len(self.evidence(metric)[1])

    def evidence(self, metric: Metric) -> tuple[str, list[Any]]:
        """The evidence of a metric: ("attempts", attempt ids) or ("findings", QA finding ids)."""
        if metric is Metric.DENIALS:
            return "attempts", self.denied_ids
        if metric is Metric.AFTER_DENY:
            return "attempts", self.after_deny_ids
        if metric is Metric.AGAINST_DENY:
            return "attempts", self.against_deny_ids
        return "findings", self.finding_ids

    def counts(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "allowed": self.allowed, "denied": len(self.denied_ids),
                "denials_by_rule": dict(sorted(self.denials_by_rule.items())),
                "after_deny": len(self.after_deny_ids), "against_deny": len(self.against_deny_ids),
                "qa_findings": len(self.finding_ids),
                "qa_findings_by_rule": dict(sorted(self.findings_by_rule.items())),
                "complaints": len(self.complaint_ids), "complaints_substantiated": len(self.substantiated_ids)}


def collector_days(session: Session, institution_id: str, first: date, last: date, *,
                   orgs: Collection[str] | None = None) -> list[Tally]:
    """Every collector's figures for each natural day `first` … `last` (only days with something to count), in
    three statements for the whole period: the attempts, the QA findings and the complaints. `orgs`: only these
    organisations' collectors (an agency and its subcontractors)."""
    zone, since, until = period(session, institution_id, first, last)
    rows = attempt_rows(session, institution_id, since, until, orgs)
    tallies: dict[tuple[str, date], Tally] = {}

    def tally(collector: str, org: str | None, at: datetime) -> Tally:
        return tallies_for(tallies, institution_id, collector, org, local_date(at, zone))

    asked = asked_in(rows, since, until)
    repeated = after_deny(asked, zone)
    for r in asked:
        t = tally(r.collector_id, r.org_id, r.at)
        t.attempts += 1
        if r.allowed:
            t.allowed += 1
        else:
            t.denied_ids.append(r.id)
            t.denials_by_rule.update(set(r.failing or ()))
        if r.id in repeated:
            t.after_deny_ids.append(r.id)
    for r in against_deny_in(rows, since, until):
        tally(r.collector_id, r.org_id, counted_at(r)).against_deny_ids.append(r.id)
    for f in finding_rows(session, institution_id, since, until, orgs):
        t = tally(f.collector_id, f.org_id, f.at)
        t.finding_ids.append(f.id)
        t.findings_by_rule[f.rule or "?"] += 1
    for c in collector_complaints(session, institution_id, first, last, orgs):
        if first <= c.day <= last:
            tallies_for(tallies, institution_id, c.collector_id, c.org_id, c.day).complaint_ids.append(c.id)
        if c.resolved_day is not None and first <= c.resolved_day <= last and c.root_cause_rules:
            tallies_for(tallies, institution_id, c.collector_id, c.org_id,
                        c.resolved_day).substantiated_ids.append(c.id)
    return sorted(tallies.values(), key=lambda t: (t.day, t.collector))


def tallies_for(tallies: dict[tuple[str, date], Tally], institution_id: str, collector: str, org: str | None,
                day: date) -> Tally:
    found = tallies.get((collector, day))
    if found is None:
        agency = org if org is not None and org != institution_id else None
        found = tallies[(collector, day)] = Tally(collector, agency, day)
    return found


def collector_complaints(session: Session, institution_id: str, first: date, last: date,
                         orgs: Collection[str] | None = None) -> Sequence[Any]:
    """The institution's complaints about a collector (of `orgs` only, when given) registered or resolved on the
    local days `first` … `last`, with the collector's organisation."""
    stmt = (
        select(Complaint.id, Complaint.collector_id, Complaint.day, Complaint.resolved_day,
               Complaint.root_cause_rules, Collector.org_id)
        .join(Collector, Collector.id == Complaint.collector_id)
        .where(Complaint.institution_id == institution_id, Complaint.collector_id.is_not(None),
               or_(and_(Complaint.day >= first, Complaint.day <= last),
                   and_(Complaint.resolved_day >= first, Complaint.resolved_day <= last)))
        .order_by(Complaint.id)
    )
    if orgs is not None:
        stmt = stmt.where(Collector.org_id.in_(orgs))
    return session.execute(stmt).all()


@dataclass(frozen=True)
class ComplaintCounts:
    registered: int  # registered in the period
    substantiated: int  # resolved in the period with a root cause naming a rule
    substantiated_by_rule: dict[str, int]


def complaint_counts(session: Session, institution_id: str, since: datetime, until: datetime,
                     orgs: Collection[str]) -> ComplaintCounts:
    """The institution's complaints about `orgs` (naming one of them, or a collector of one of them): registered
    in [since, until), and substantiated — resolved in it with a root cause naming at least one rule id, counted
    once per complaint and once under each rule."""
    collectors = select(Collector.id).where(Collector.org_id.in_(orgs)).scalar_subquery()
    about = or_(Complaint.agency_id.in_(orgs), Complaint.collector_id.in_(collectors))
    registered = session.execute(select(func.count()).select_from(Complaint).where(
        Complaint.institution_id == institution_id, about, Complaint.received_at >= since,
        Complaint.received_at < until)).scalar_one()
    resolved = session.execute(select(Complaint.root_cause_rules).where(
        Complaint.institution_id == institution_id, about, Complaint.resolved_at >= since,
        Complaint.resolved_at < until)).scalars().all()
    by_rule: Counter[str] = Counter()
    substantiated = 0
    for rules in resolved:
        if rules:
            substantiated += 1
            by_rule.update(set(rules))
    return ComplaintCounts(int(registered), substantiated, dict(sorted(by_rule.items())))


def agency_days(tallies: Iterable[Tally]) -> list[dict[str, Any]]:
    """The collectors' figures summed per agency and day (in-house collectors belong to no agency)."""
    out: dict[tuple[str, date], dict[str, Any]] = {}
    for t in tallies:
        if t.agency is None:
            continue
        row = out.setdefault((t.agency, t.day), {
            "agency": t.agency, "day": t.day, "collectors": 0, "attempts": 0, "allowed": 0, "denied": 0,
            "denials_by_rule": Counter(), "after_deny": 0, "against_deny": 0, "qa_findings": 0,
            "qa_findings_by_rule": Counter(), "complaints": 0, "complaints_substantiated": 0})
        row["collectors"] += 1
        for key, value in t.counts().items():
            if isinstance(value, dict):
                row[key].update(value)
            else:
                row[key] += value
    return [{**row, "denials_by_rule": dict(sorted(row["denials_by_rule"].items())),
             "qa_findings_by_rule": dict(sorted(row["qa_findings_by_rule"].items()))}
            for _, row in sorted(out.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


# -- thresholds, flags, schemes ---------------------------------------------------------------------------------
def thresholds(session: Session, institution_id: str, *, lock: bool = False) -> MonitoringThresholds | None:
    stmt = select(MonitoringThresholds).where(MonitoringThresholds.institution_id == institution_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar()


def flags_of_day(session: Session, institution_id: str, day: date) -> dict[tuple[str, str], CollectorFlag]:
    rows = session.execute(select(CollectorFlag).where(CollectorFlag.institution_id == institution_id,
                                                       CollectorFlag.day == day)).scalars()
    return {(r.collector_id, r.metric): r for r in rows}


def flag(session: Session, institution_id: str, flag_id: int, orgs: Collection[str] | None = None) -> CollectorFlag:
    """A flag of the institution (of `orgs`' collectors only, when given); anything else is not found."""
    row = session.get(CollectorFlag, flag_id)
    if row is None or row.institution_id != institution_id or (orgs is not None and row.agency_id not in orgs):
        raise NotFound("flag", str(flag_id), field="flag_id")
    return row


def flags(session: Session, institution_id: str, limit: int, offset: int, *, orgs: Collection[str] | None = None,
          day: date | None = None, status: str | None = None, collector: str | None = None,
          agency: str | None = None) -> tuple[Sequence[CollectorFlag], int]:
    stmt = where_given(select(CollectorFlag).where(CollectorFlag.institution_id == institution_id),
                       (CollectorFlag.day, day), (CollectorFlag.status, status), (CollectorFlag.collector_id, collector),
                       (CollectorFlag.agency_id, agency))
    if orgs is not None:
        stmt = stmt.where(CollectorFlag.agency_id.in_(orgs))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(CollectorFlag.day.desc(), CollectorFlag.id).limit(limit).offset(offset))
    return rows.scalars().all(), total


def scheme(session: Session, institution_id: str) -> PerformanceScheme | None:
    """The institution's current performance scheme: its latest version."""
    return session.execute(
        select(PerformanceScheme).where(PerformanceScheme.institution_id == institution_id)
        .order_by(PerformanceScheme.version.desc()).limit(1)
    ).scalar()

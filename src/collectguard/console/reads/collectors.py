"""What the collectors pages show: every collector the viewer may see with its qualification, its annual training
(the obligations calendar's own rule, `rulebook.obligations.annual_training`), its 30 days of attempts and denials
(the pre-aggregated daily figures, never the attempts), its QA findings and its open monitoring flags; and one
collector's page.

A constant number of queries per page, whatever the number of collectors or attempts: one per source (collectors,
acceptances, trainings, figures grouped by collector, findings grouped by collector, open flags grouped by
collector), then filtered, sorted and paged here. Collectors are the registry's people (tens to a few thousand per
institution), not its attempts.

Scope: `collectguard.collectors.repository.visible_filter`, as the API reads it — the institution's own collectors
and those of the agencies it works with; an agency-bound viewer its agency's and its subcontractors'. An agency's
own administrator (no institution) sees its people's shared record only: figures, findings, flags and the
institution's acceptance are the institutions' business (auth.roles)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, literal_column, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.auth.roles import Principal
from collectguard.collectors import repository as collectors
from collectguard.collectors.models import Collector, CollectorAcceptance
from collectguard.collectors.service import TRAINING_ZONE
from collectguard.console.reads.planner import unindexed
from collectguard.console.reads.rules import RuleRow, cite
from collectguard.errors import NotFound
from collectguard.gate import daily
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.monitoring import repository as monitoring
from collectguard.monitoring.models import CollectorFlag
from collectguard.monitoring.schemas import FlagStatus
from collectguard.oversight import calendar
from collectguard.qa.storage import QaFindingRow
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone
from collectguard.rulebook import obligations as ob
from collectguard.rulebook.vocabulary import CollectorKind, CollectorStatus

WINDOW_DAYS = 30
SORTS = ("id", "org", "denied", "rate", "attempts", "findings", "flags", "training_due")
FILTERS = ("org", "status", "kind", "flag", "training")
HISTORY_KINDS = (Tag.COLLECTOR_CREATED, Tag.COLLECTOR_UPDATED, Tag.COLLECTOR_STATUS_CHANGED,
                 Tag.COLLECTOR_ACCEPTANCE_CHANGED, Tag.COLLECTOR_TRAINING_RECORDED,
                 Tag.COLLECTOR_TRAINING_RECOGNISED)
SHARED_KINDS = (Tag.COLLECTOR_CREATED, Tag.COLLECTOR_UPDATED, Tag.COLLECTOR_STATUS_CHANGED,
                Tag.COLLECTOR_TRAINING_RECORDED)


@dataclass(frozen=True)
class Scope:
    """Whose collectors, and whose figures: `institution` "" for an agency's own administrator (no figures)."""

    principal: Principal
    institution: str
    orgs: frozenset[str] | None  # an agency-bound viewer's organisations (its agency and subcontractors)

    @property
    def figures(self) -> bool:
        return bool(self.institution)


def scope_of(session: Session, p: Principal) -> Scope:
    orgs = frozenset(agencies.family(session, p.agency_id)) if p.agency_id is not None else None
    return Scope(p, p.institution_id, orgs)


@dataclass(frozen=True)
class Row:
    id: str
    org_id: str
    org_name: str
    kind: str
    status: str  # the shared record's
    institution_status: str | None  # the institution's own acceptance of another organisation's collector
    pre_job_exam: date | None
    pledge_signed: bool
    approved: bool
    last_training: date | None
    training: ob.Item | None  # art6-annual-training; None for AI agents and collectors no longer active
    attempts: int = 0
    allowed: int = 0
    denied: int = 0
    findings: int = 0
    open_flags: int = 0

    @property
    def effective_status(self) -> str:
        """What the gate applies for the viewer's institution: suspended there if the institution suspended it."""
        if self.status == CollectorStatus.ACTIVE and self.institution_status not in (None, CollectorStatus.ACTIVE):
            return self.institution_status or self.status
        return self.status

    @property
    def rate(self) -> float | None:
        return 100 * self.denied / self.attempts if self.attempts else None

    @property
    def training_due(self) -> date | None:
        return self.training.due_date if self.training is not None else None

    @property
    def training_status(self) -> str | None:
        return self.training.status.value if self.training is not None else None


@dataclass(frozen=True)
class Listing:
    today: date
    first_day: date
    rows: list[Row]  # the page
    total: int
    orgs: list[tuple[str, str]]  # the organisations the viewer may filter by (id, name)
    figures: bool


def _zone(session: Session, scope: Scope) -> ZoneInfo:
    return institution_zone(session, scope.institution) if scope.institution else TRAINING_ZONE


def _today(session: Session, scope: Scope, now: datetime) -> date:
    return ob.local_day(now, _zone(session, scope))


def org_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    ids = sorted(set(ids))
    names = {r.id: r.name for r in session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(ids)))}
    names.update({r.id: r.name for r in session.execute(
        select(m.Institution.id, m.Institution.name).where(m.Institution.id.in_(ids)))})
    return names


def _trainings(session: Session, scope: Scope, rows: Sequence[Collector], today: date) -> dict[str, ob.Item]:
    """Each active human's art6-annual-training item, from the calendar's facts (the trainings the institution
    counts: the organisation's own and its own recognitions; suspended by the institution: not active)."""
    orgs = sorted({c.org_id for c in rows if c.kind == CollectorKind.HUMAN})
    if not orgs:
        return {}
    wanted = {c.id for c in rows}
    out = {}
    for facts in calendar.collector_facts(session, scope.institution, orgs, today):
        if facts.id in wanted and facts.active:
            agency = facts.org_id if facts.org_id != scope.institution else None
            out[facts.id] = ob.annual_training(facts, today, agency=agency)
    return out


def _acceptances(session: Session, scope: Scope, ids: Collection[str]) -> dict[str, str]:
    if not scope.institution or not ids:
        return {}
    return dict(session.execute(select(CollectorAcceptance.collector_id, CollectorAcceptance.status).where(
        CollectorAcceptance.institution_id == scope.institution,
        CollectorAcceptance.collector_id.in_(sorted(ids)))).all())


# A finding, not a clean-call marker: `seq > 0` written as a literal, so that the planner knows the partial index
# ix_qa_findings_found (qa/storage.py: institution, day, org, collector …, WHERE seq > 0) holds only findings and
# counts from the index alone (a bound `seq > ?` reads every row's seq from the table: 95 ms against 7 ms for the
# 8,000 findings of 30 days on SQLite).
FOUND = QaFindingRow.seq > literal_column("0")


def _institution_of_finding(institution: str) -> ColumnElement[bool]:
    """The finding's institution compared through an expression (`institution_id || ''`), for a read bounded by
    the collector's index instead: no planner then walks every finding of the institution to find one
    collector's latest ten."""
    return unindexed(QaFindingRow.institution_id) == institution


def _findings(session: Session, scope: Scope, first: date, last: date,
              collector: str | None = None) -> dict[str, int]:
    """Findings per collector over the days `first` … `last`: from ix_qa_findings_found alone."""
    stmt = select(QaFindingRow.collector_id, func.count()).where(
        QaFindingRow.institution_id == scope.institution, QaFindingRow.day >= first, QaFindingRow.day <= last, FOUND)
    if scope.orgs is not None:
        stmt = stmt.where(QaFindingRow.org_id.in_(sorted(scope.orgs)))
    if collector is not None:
        stmt = stmt.where(QaFindingRow.collector_id == collector)
    return {c: int(n) for c, n in session.execute(stmt.group_by(QaFindingRow.collector_id))}


def _open_flags(session: Session, scope: Scope) -> dict[str, int]:
    stmt = select(CollectorFlag.collector_id, func.count()).where(
        CollectorFlag.institution_id == scope.institution, CollectorFlag.status == FlagStatus.OPEN.value)
    if scope.orgs is not None:
        stmt = stmt.where(CollectorFlag.agency_id.in_(sorted(scope.orgs)))
    return {c: int(n) for c, n in session.execute(stmt.group_by(CollectorFlag.collector_id))}


def _sort_key(key: str) -> Any:
    """The key of a sort; ties keep the id order (rows arrive sorted by id; Python's sort is stable). A missing
    rate or due date sorts last whichever the direction."""
    return {
        "id": lambda r: r.id,
        "org": lambda r: r.org_name,
        "denied": lambda r: r.denied,
        "attempts": lambda r: r.attempts,
        "rate": lambda r: r.rate if r.rate is not None else -1.0,
        "findings": lambda r: r.findings,
        "flags": lambda r: r.open_flags,
        "training_due": lambda r: r.training_due or date.max,
    }[key]


def _sorted(rows: list[Row], key: str, desc: bool) -> list[Row]:
    if key == "id":
        return sorted(rows, key=lambda r: r.id, reverse=desc)
    def missing(r: Row) -> bool:
        return (key == "rate" and r.rate is None) or (key == "training_due" and r.training is None)

    present = [r for r in rows if not missing(r)]
    return sorted(present, key=_sort_key(key), reverse=desc) + [r for r in rows if missing(r)]


def listing(session: Session, p: Principal, now: datetime, *, filters: dict[str, str], sort: str, desc: bool,
            offset: int, limit: int) -> Listing:
    """The viewer's collectors, filtered (org, status, kind, flag=open, training=overdue|due), sorted by `sort`
    (SORTS) and paged."""
    scope = scope_of(session, p)
    today = _today(session, scope, now)
    first = today - timedelta(days=WINDOW_DAYS - 1)
    visible = collectors.visible_filter(session, p)
    all_orgs = session.execute(select(Collector.org_id).where(visible).distinct()).scalars().all()
    stmt = select(Collector).where(visible)
    if filters.get("org"):
        stmt = stmt.where(Collector.org_id == filters["org"])
    if filters.get("kind"):
        stmt = stmt.where(Collector.kind == filters["kind"])
    found = session.execute(stmt.order_by(Collector.id)).scalars().all()
    names = org_names(session, all_orgs)
    ids = [c.id for c in found]
    accepted = _acceptances(session, scope, ids)
    training = _trainings(session, scope, found, today)
    figures: dict[str, daily.Totals] = {}
    findings: dict[str, int] = {}
    flags: dict[str, int] = {}
    if scope.figures and found:
        figures = {t.key: t for t in daily.by_collector(session, scope.institution, first, today, orgs=scope.orgs)}
        findings = _findings(session, scope, first, today)
        flags = _open_flags(session, scope)
    rows = []
    for c in found:
        t = figures.get(c.id) or daily.Totals(c.id)
        item = training.get(c.id)
        last = item.evidence[0].day if item is not None and item.evidence else c.last_training
        rows.append(Row(id=c.id, org_id=c.org_id, org_name=names.get(c.org_id, c.org_id), kind=c.kind,
                        status=c.status, institution_status=accepted.get(c.id), pre_job_exam=c.pre_job_exam,
                        pledge_signed=c.pledge_signed, approved=c.approved, last_training=last, training=item,
                        attempts=t.attempts, allowed=t.allowed, denied=t.denied, findings=findings.get(c.id, 0),
                        open_flags=flags.get(c.id, 0)))
    if filters.get("status"):
        rows = [r for r in rows if r.effective_status == filters["status"]]
    if filters.get("flag") == "open":
        rows = [r for r in rows if r.open_flags > 0]
    if filters.get("training") in ("overdue", "due"):
        rows = [r for r in rows if r.training_status == filters["training"]]
    rows = _sorted(rows, sort if sort in SORTS else "id", desc)
    orgs = sorted(((o, names.get(o, o)) for o in all_orgs), key=lambda o: (o[0] != scope.institution, o[0]))
    return Listing(today=today, first_day=first, rows=rows[offset:offset + limit], total=len(rows), orgs=orgs,
                   figures=scope.figures)


# -- one collector ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    id: int
    attempt_id: str
    day: date
    rule: str | None
    category: str | None
    severity: str | None


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    at: datetime
    institution: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Detail:
    row: Row
    today: date
    first_day: date
    trainings: list[tuple[date, str | None]]  # day, recognised by (None: the organisation's own, shared)
    per_day: list[daily.Totals]
    by_rule: list[RuleRow]
    findings: list[Finding]
    flags: list[CollectorFlag]
    history: list[Event]
    figures: bool
    zone: str  # the zone days and times are shown in
    window: daily.Totals = field(default_factory=lambda: daily.Totals("window"))


def _history(session: Session, scope: Scope, collector_id: str, limit: int = 50) -> list[Event]:
    """The collector's record in the ledger (created, qualifications, status, acceptance, trainings): the viewer's
    institution's records; an agency's own administrator, the shared record's changes once each."""
    stmt = select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.at, LedgerRecord.institution_id,
                  LedgerRecord.body).where(LedgerRecord.subject == collector_id)
    if scope.institution:
        stmt = stmt.where(LedgerRecord.kind.in_([str(k) for k in HISTORY_KINDS]),
                          or_(LedgerRecord.institution_id == scope.institution, LedgerRecord.institution_id.is_(None)))
    else:
        stmt = stmt.where(LedgerRecord.kind.in_([str(k) for k in SHARED_KINDS]))
    out: list[Event] = []
    seen: set[tuple[str, datetime, str]] = set()
    for seq, kind, at, institution, body in session.execute(stmt.order_by(LedgerRecord.seq.desc()).limit(limit * 4)):
        payload = json.loads(body).get("payload") or {}
        once = (kind, at, json.dumps(payload, sort_keys=True))
        if once in seen:  # a shared record's change is recorded once per institution it concerns
            continue
        seen.add(once)
        out.append(Event(seq, kind, at, institution if scope.institution else None, payload))
        if len(out) >= limit:
            break
    return out


def detail(session: Session, p: Principal, collector_id: str, now: datetime) -> Detail:
    """One collector the viewer may see (anyone else's: NotFound, as if unknown)."""
    scope = scope_of(session, p)
    c = collectors.visible(session, p, collector_id)
    today = _today(session, scope, now)
    first = today - timedelta(days=WINDOW_DAYS - 1)
    names = org_names(session, [c.org_id])
    item = _trainings(session, scope, [c], today).get(c.id)
    trainings = [(t.day, t.institution_id) for t in collectors.trainings(session, p, c.id)]
    accepted = _acceptances(session, scope, [c.id]).get(c.id)
    per_day: list[daily.Totals] = []
    by_rule: list[RuleRow] = []
    found: list[Finding] = []
    flags: list[CollectorFlag] = []
    window = daily.Totals("window")
    n_findings = open_flags = 0
    if scope.figures:
        per_day = daily.totals(session, scope.institution, first, today, orgs=scope.orgs, collector=c.id)
        window = daily.Totals("window", *(sum(getattr(t, k) for t in per_day) for k in daily.COUNTERS))
        by_rule = [RuleRow(cite(r.rule), r.n) for r in daily.denials_by_rule(
            session, scope.institution, first, today, orgs=scope.orgs, collector=c.id)]
        n_findings = _findings(session, scope, first, today, collector=c.id).get(c.id, 0)
        recent = select(QaFindingRow).where(QaFindingRow.collector_id == c.id,
                                            _institution_of_finding(scope.institution), FOUND)
        if scope.orgs is not None:
            recent = recent.where(QaFindingRow.org_id.in_(sorted(scope.orgs)))
        found = [Finding(f.id, f.attempt_id, f.day, f.rule, f.category, f.severity)
                 for f in session.execute(recent.order_by(QaFindingRow.id.desc()).limit(10)).scalars()]
        flags = list(monitoring.flags(session, scope.institution, 50, 0, orgs=scope.orgs, collector=c.id)[0])
        open_flags = sum(1 for f in flags if f.status == FlagStatus.OPEN.value)
    last = item.evidence[0].day if item is not None and item.evidence else c.last_training
    row = Row(id=c.id, org_id=c.org_id, org_name=names.get(c.org_id, c.org_id), kind=c.kind, status=c.status,
              institution_status=accepted, pre_job_exam=c.pre_job_exam, pledge_signed=c.pledge_signed,
              approved=c.approved, last_training=last, training=item, attempts=window.attempts,
              allowed=window.allowed, denied=window.denied, findings=n_findings, open_flags=open_flags)
    return Detail(row=row, today=today, first_day=first, trainings=trainings, per_day=per_day, by_rule=by_rule,
                  findings=found, flags=flags, history=_history(session, scope, c.id), figures=scope.figures,
                  zone=_zone(session, scope).key, window=window)


def flag_of(session: Session, p: Principal, collector_id: str, flag_id: int) -> CollectorFlag:
    """A flag of this collector, in the viewer's institution and scope; anything else is not found."""
    scope = scope_of(session, p)
    collectors.visible(session, p, collector_id)
    row = monitoring.flag(session, scope.institution, flag_id, scope.orgs)
    if row.collector_id != collector_id:
        raise NotFound("flag", str(flag_id), field="flag_id")
    return row


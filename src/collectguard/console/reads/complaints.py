"""投诉 What the complaints pages read: a page of the institution's complaints (filtered by status, channel,
agency, overdue, flagged; sorted and paged in SQL) with each one's deadline in force and its signals, the counts
above it, 30 days of complaints per day and channel and the root causes by rule; and one complaint with its
timeline, masked complainant data, signals and the complaints sharing them, and who may investigate it.

An agency-bound viewer sees the complaints about its agency (and its subcontractors and their collectors) only —
another's is not found, as if it did not exist (art. 19(五)) — and never the complainant's data or words: the
complaint is about the agency, the institution handles it (art. 22)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency
from collectguard.agencies.repository import family, works_with
from collectguard.auth.roles import Principal
from collectguard.collectors.models import Collector
from collectguard.complaints import service as complaints
from collectguard.complaints import signal_store
from collectguard.complaints.models import Complaint, ComplaintStep
from collectguard.complaints.report import cite as cite_cause
from collectguard.complaints.signal_models import ComplaintSignal, ComplaintSignalMember
from collectguard.console.reads.rules import Cited
from collectguard.errors import NotFound
from collectguard.oversight import models as om
from collectguard.oversight.service import known_rules
from collectguard.registry.personal import keyring_of
from collectguard.registry.repository import institution_zone
from collectguard.registry.unit import Unit

DAYS = 30
STATUSES = ("registered", "verified", "investigating", "resolved")
CHANNELS = ("phone", "email", "letter", "web", "regulator")
SORTS = ("due", "day", "status", "channel", "agency", "id")
FILTERS = ("status", "channel", "agency", "overdue", "flagged")
SOON = 3  # days left at or under which an open complaint is shown as due soon


@dataclass(frozen=True)
class Row:
    id: str
    channel: str
    status: str
    received_at: datetime
    day: date
    answer_by: date
    extended: bool
    days_left: int | None  # open: local days until the deadline in force (negative: overdue); None when resolved
    resolved_day: date | None
    late: bool
    agency_id: str | None
    agency_name: str | None
    collector_id: str | None
    debtor_id: str | None
    handled_by_institution: bool
    investigator: str | None
    proxy_warning: bool
    signals: list[str]

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass
class Listing:
    rows: list[Row]
    total: int
    today: date
    zone: str
    counts: dict[str, int]  # open, overdue, soon, resolved, late, flagged, proxy — of everything the viewer sees
    agencies: dict[str, str]  # id → name, for the filter
    per_day: list[tuple[date, dict[str, int]]]  # 30 days, complaints registered per channel
    causes: list[tuple[Cited, int]]  # root causes by rule over the 30 days' resolutions


@dataclass(frozen=True)
class SignalView:
    id: int
    signal: str
    status: str
    debtors: int
    shared_with: list[str]  # the other complaints the viewer may open
    hidden: int  # those it may not see
    detail: dict[str, Any]
    raised_at: datetime
    ledger_seq: int
    review_reason: str | None
    hint: str | None = None  # the shared value, masked (or the similarity, the phrase ids)
    raised_here: bool = True  # raised on this complaint (else it names this one among those sharing it)


@dataclass
class SignalGroup:
    """The flags of one kind a complaint is part of, taken together: the complaints sharing the signal with it, the
    masked values, the flags' review states and ledger records."""

    signal: str
    flags: list[SignalView]
    hints: list[str]
    debtors: int  # the most distinct debtors any of its flags counted
    shared_with: list[str]  # every other complaint in them that the viewer may open
    hidden: int
    statuses: dict[str, int]
    reviews: list[str]  # the reasons given, newest last

    @property
    def seqs(self) -> list[int]:
        return [f.ledger_seq for f in self.flags]


def group_signals(views: Sequence[SignalView]) -> list[SignalGroup]:
    groups: dict[str, SignalGroup] = {}
    for f in views:
        g = groups.get(f.signal)
        if g is None:
            g = groups[f.signal] = SignalGroup(f.signal, [], [], 0, [], 0, {}, [])
        g.flags.append(f)
        if f.hint and f.hint not in g.hints:
            g.hints.append(f.hint)
        g.debtors = max(g.debtors, f.debtors)
        g.shared_with.extend(i for i in f.shared_with if i not in g.shared_with)
        g.hidden = max(g.hidden, f.hidden)
        g.statuses[f.status] = g.statuses.get(f.status, 0) + 1
        if f.review_reason and f.review_reason not in g.reviews:
            g.reviews.append(f.review_reason)
    for g in groups.values():
        g.shared_with.sort()
    return list(groups.values())


@dataclass(frozen=True)
class Candidate:
    id: str
    org_id: str
    name: str | None
    kind: str  # staff | collector


@dataclass
class Detail:
    c: Complaint
    today: date
    zone: str
    answer_by: date
    days_left: int | None
    late: bool
    agency_name: str | None
    personal: dict[str, str | None] | None  # masked; None for an agency viewer
    steps: list[ComplaintStep]
    causes: list[Cited]
    signals: list[SignalGroup]
    candidates: list[Candidate] = field(default_factory=list)
    recused: list[tuple[Candidate, list[str]]] = field(default_factory=list)  # who may not, with the rule ids
    extension_limit: date | None = None


def _about(orgs: Sequence[str]) -> ColumnElement[bool]:
    collectors = select(Collector.id).where(Collector.org_id.in_(list(orgs))).scalar_subquery()
    return or_(Complaint.agency_id.in_(list(orgs)), Complaint.collector_id.in_(collectors))


def _scope(p: Principal, orgs: Sequence[str] | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Complaint.institution_id == p.institution_id]
    if orgs is not None:
        where.append(_about(orgs))
    return where


def _answer_by() -> ColumnElement[Any]:
    return func.coalesce(Complaint.extended_due_date, Complaint.due_date)


def _flagged() -> ColumnElement[bool]:
    """Part of a flag: raised on it, or named among the complaints sharing the signal (signal_store.flags_of)."""
    return exists().where(ComplaintSignalMember.complaint_id == Complaint.id)


def _filters(filters: dict[str, str], today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.get("status") in STATUSES:
        where.append(Complaint.status == filters["status"])
    elif filters.get("status") == "open":
        where.append(Complaint.status != "resolved")
    if filters.get("channel") in CHANNELS:
        where.append(Complaint.channel == filters["channel"])
    if filters.get("agency"):
        where.append(Complaint.agency_id == filters["agency"])
    if filters.get("overdue") == "yes":
        where.extend([Complaint.status != "resolved", _answer_by() < today])
    if filters.get("flagged") == "yes":
        where.append(_flagged())
    return where


def _sort(sort: str) -> ColumnElement[Any]:
    if sort == "due":
        return _answer_by()
    keys: dict[str, Any] = {"day": Complaint.received_at, "status": Complaint.status, "channel": Complaint.channel,
                            "agency": Complaint.agency_id, "id": Complaint.id}
    found: ColumnElement[Any] = keys.get(sort, Complaint.received_at)
    return found


def listing(session: Session, p: Principal, orgs: Sequence[str] | None, now: datetime, *, filters: dict[str, str],
            q: str = "", sort: str = "due", desc: bool = False, limit: int = 25, offset: int = 0) -> Listing:
    zone = institution_zone(session, p.institution_id)
    today = now.astimezone(zone).date()
    scope = _scope(p, orgs)
    if orgs is not None:  # an agency never sees the anti-collection signals (they concern the complainants)
        filters = {k: v for k, v in filters.items() if k != "flagged"}
    where = [*scope, *_filters(filters, today)]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Complaint.id.ilike(like, escape="\\"), Complaint.debtor_id.ilike(like, escape="\\"),
                         Complaint.collector_id.ilike(like, escape="\\")))
    total = session.execute(select(func.count()).select_from(Complaint).where(*where)).scalar_one()
    key = _sort(sort)
    order: list[Any] = []
    if sort == "due":
        order.append(case((Complaint.status == "resolved", 1), else_=0))  # open ones first, whatever the direction
    order += [key.desc() if desc else key.asc(), Complaint.id]
    found = list(session.execute(select(Complaint).where(*where).order_by(*order).limit(limit).offset(offset))
                 .scalars())
    names = _agency_names(session, {c.agency_id for c in found if c.agency_id})
    signals = _signals_of(session, [c.id for c in found]) if orgs is None else {}
    rows = [_row(c, today, names, signals.get(c.id, [])) for c in found]
    return Listing(rows=rows, total=int(total), today=today, zone=zone.key, counts=_counts(session, scope, today),
                   agencies=_agencies(session, p, orgs), per_day=_per_day(session, scope, today),
                   causes=_causes(session, scope, today))


def _row(c: Complaint, today: date, names: dict[str, str], signals: list[str]) -> Row:
    by = c.extended_due_date or c.due_date
    resolved = c.status == "resolved"
    return Row(id=c.id, channel=c.channel, status=c.status, received_at=c.received_at, day=c.day, answer_by=by,
               extended=c.extended_due_date is not None, days_left=None if resolved else (by - today).days,
               resolved_day=c.resolved_day, late=c.resolved_day is not None and c.resolved_day > by,
               agency_id=c.agency_id, agency_name=names.get(c.agency_id or ""), collector_id=c.collector_id,
               debtor_id=c.debtor_id, handled_by_institution=c.handled_by_institution, investigator=c.investigator,
               proxy_warning=c.proxy_warning, signals=signals)


def _agency_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {i: n or i for i, n in session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(sorted(ids))))}


def _signals_of(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    """The kinds of signal each complaint is part of (raised on it or shared with it), dismissed ones left out."""
    out: dict[str, list[str]] = {}
    if ids:
        for cid, signal in session.execute(
                select(ComplaintSignalMember.complaint_id, ComplaintSignal.signal)
                .join(ComplaintSignal, ComplaintSignal.id == ComplaintSignalMember.signal_id)
                .where(ComplaintSignalMember.complaint_id.in_(list(ids)), ComplaintSignal.status != "dismissed")
                .order_by(ComplaintSignal.id)):
            if signal not in out.setdefault(cid, []):
                out[cid].append(signal)
    return out


def _counts(session: Session, scope: list[ColumnElement[bool]], today: date) -> dict[str, int]:
    is_open = Complaint.status != "resolved"
    by = _answer_by()

    def one(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = session.execute(select(
        func.count(), one(is_open), one(and_(is_open, by < today)),
        one(and_(is_open, by >= today, by <= today + timedelta(days=SOON))), one(~is_open),
        one(and_(~is_open, Complaint.resolved_day > by)), one(Complaint.proxy_warning.is_(True)),
        one(Complaint.handled_by_institution.is_(True)),
    ).select_from(Complaint).where(*scope)).one()
    names = ("all", "open", "overdue", "soon", "resolved", "late", "proxy", "institution")
    out = {n: int(v or 0) for n, v in zip(names, row, strict=True)}
    # from the flags' side (a few hundred members), not an EXISTS per complaint
    out["flagged"] = int(session.execute(
        select(func.count(func.distinct(ComplaintSignalMember.complaint_id)))
        .join(Complaint, Complaint.id == ComplaintSignalMember.complaint_id).where(*scope)).scalar_one())
    return out


def _agencies(session: Session, p: Principal, orgs: Sequence[str] | None) -> dict[str, str]:
    stmt = select(Agency.id, Agency.name).where(works_with(p))
    if orgs is not None:
        stmt = stmt.where(Agency.id.in_(list(orgs)))
    return {i: n or i for i, n in session.execute(stmt.order_by(Agency.id))}


def agency_choices(session: Session, p: Principal, orgs: Sequence[str] | None) -> dict[str, str]:
    """The agencies the viewer may pick for a report: those the institution works with (an agency: its own)."""
    return _agencies(session, p, orgs)


def today_of(session: Session, institution: str, now: datetime) -> date:
    return now.astimezone(institution_zone(session, institution)).date()


def cite(rule: str) -> Cited:
    """A root cause's rule with its article and headline (the conduct rules too, complaints.report.cite)."""
    article, zh, en = cite_cause(rule)
    return Cited(rule, article, zh, en)


def _per_day(session: Session, scope: list[ColumnElement[bool]], today: date) -> list[tuple[date, dict[str, int]]]:
    first = today - timedelta(days=DAYS - 1)
    counts: dict[date, Counter[str]] = {first + timedelta(days=n): Counter() for n in range(DAYS)}
    for day, channel, n in session.execute(
            select(Complaint.day, Complaint.channel, func.count()).where(*scope, Complaint.day >= first,
                                                                         Complaint.day <= today)
            .group_by(Complaint.day, Complaint.channel)):
        if day in counts:
            counts[day][channel] += int(n)
    return [(d, dict(c)) for d, c in counts.items()]


def _causes(session: Session, scope: list[ColumnElement[bool]], today: date) -> list[tuple[Cited, int]]:
    """Root causes by rule of the complaints resolved in the last 30 days (a complaint citing two rules counts
    under both), most first."""
    first = today - timedelta(days=DAYS - 1)
    found: Counter[str] = Counter()
    for rules in session.execute(select(Complaint.root_cause_rules).where(
            *scope, Complaint.status == "resolved", Complaint.resolved_day >= first)).scalars():
        found.update(set(rules or ()))
    return [(cite(rule), n) for rule, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]


# -- the figures on an agency's or a collector's page ---------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """Complaints about an agency (its subcontractors and their collectors) or a collector: registered and
    substantiated (resolved with a root cause naming a rule) over the last 30 days, open and overdue now."""

    registered: int
    substantiated: int
    open: int
    overdue: int
    causes: list[tuple[Cited, int]]


def summary(session: Session, p: Principal, now: datetime, *, agency: str | None = None,
            collector: str | None = None) -> Summary:
    zone = institution_zone(session, p.institution_id)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    where: list[ColumnElement[bool]] = [Complaint.institution_id == p.institution_id]
    if agency is not None:
        where.append(_about(sorted(family(session, agency))))
    if collector is not None:
        where.append(Complaint.collector_id == collector)
    is_open = Complaint.status != "resolved"
    registered, still_open, overdue = session.execute(select(
        func.coalesce(func.sum(case((Complaint.day >= first, 1), else_=0)), 0),
        func.coalesce(func.sum(case((is_open, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(is_open, _answer_by() < today), 1), else_=0)), 0),
    ).where(*where)).one()
    found: Counter[str] = Counter()
    substantiated = 0
    for rules in session.execute(select(Complaint.root_cause_rules).where(
            *where, Complaint.status == "resolved", Complaint.resolved_day >= first)).scalars():
        if rules:
            substantiated += 1
            found.update(set(rules))
    causes = [(cite(r), n) for r, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    return Summary(int(registered), substantiated, int(still_open), int(overdue), causes)


# -- one complaint -----------------------------------------------------------------------------------------------
def visible(session: Session, p: Principal, orgs: Sequence[str] | None, complaint_id: str) -> Complaint:
    row = session.execute(select(Complaint).where(Complaint.id == complaint_id, *_scope(p, orgs))).scalar()
    if row is None:
        raise NotFound("complaint", complaint_id, field="id")
    return row


def detail(session: Session, p: Principal, orgs: Sequence[str] | None, complaint_id: str, now: datetime, *,
           candidates: bool) -> Detail:
    c = visible(session, p, orgs, complaint_id)
    zone = institution_zone(session, p.institution_id)
    today = now.astimezone(zone).date()
    by = c.extended_due_date or c.due_date
    steps = list(session.execute(select(ComplaintStep).where(ComplaintStep.complaint_id == c.id)
                                 .order_by(ComplaintStep.n)).scalars())
    out = Detail(c=c, today=today, zone=zone.key, answer_by=by,
                 days_left=None if c.status == "resolved" else (by - today).days,
                 late=c.resolved_day is not None and c.resolved_day > by,
                 agency_name=_agency_names(session, {c.agency_id}).get(c.agency_id) if c.agency_id else None,
                 personal=complaints.masked_personal(session, c) if orgs is None and c.erased_at is None else None,
                 steps=steps, causes=[cite(r) for r in c.root_cause_rules or ()],
                 signals=group_signals(_signals(session, p, c)) if orgs is None else [])
    if candidates and c.status != "resolved":
        out.candidates, out.recused = _candidates(session, p, c, now)
        out.extension_limit = complaints.extension_limit(session, c)
    return out


def _signals(session: Session, p: Principal, c: Complaint) -> list[SignalView]:
    """The flags the complaint is part of (signal_store.flags_of), each with the other complaints in it that the
    viewer may open and a masked hint of the shared value."""
    rows = signal_store.flags_of(session, c.id)
    members = {r.id: [r.complaint_id, *(r.shared_with or ())] for r in rows}
    others = sorted({i for ids in members.values() for i in ids if i != c.id})
    seen = set(session.execute(select(Complaint.id).where(Complaint.id.in_(others), *_scope(p, None))).scalars()) \
        if others else set()
    keyring = keyring_of(session) if rows else None
    out = []
    for r in rows:
        ids = [i for i in dict.fromkeys(members[r.id]) if i != c.id]
        hint = signal_store.hint(keyring, c, r.signal, dict(r.detail or {})) if keyring is not None else None
        out.append(SignalView(id=r.id, signal=r.signal, status=r.status, debtors=r.debtors,
                              shared_with=[i for i in ids if i in seen], hidden=sum(1 for i in ids if i not in seen),
                              detail=dict(r.detail or {}), raised_at=r.raised_at, ledger_seq=r.ledger_seq,
                              review_reason=r.review_reason, hint=hint, raised_here=r.complaint_id == c.id))
    return out


def _candidates(session: Session, p: Principal, c: Complaint,
                now: datetime) -> tuple[list[Candidate], list[tuple[Candidate, list[str]]]]:
    """Who may investigate: the staff of the institution and of the agencies it works with, and the collector
    named if any (to show it recused) — each checked with the service's own recusal rules (art. 22); the server
    checks again when the form is sent."""
    agencies = select(Agency.id).where(works_with(p)).scalar_subquery()
    people = [Candidate(s.id, s.org_id, s.name, "staff") for s in session.execute(
        select(om.Staff).where(or_(om.Staff.org_id == p.institution_id, om.Staff.org_id.in_(agencies)))
        .order_by(om.Staff.org_id != p.institution_id, om.Staff.org_id, om.Staff.id).limit(500)).scalars()]
    if c.collector_id is not None:
        collector = session.get(Collector, c.collector_id)
        if collector is not None:
            people.append(Candidate(collector.id, collector.org_id, None, "collector"))
    unit = Unit(session, at=now)  # read only: recusals() only reads
    allowed, recused = [], []
    for person in people:
        reasons = [r[0] for r in complaints.recusals(unit, c, person.id, person.org_id)]
        if reasons:
            recused.append((person, reasons))
        elif person.kind == "staff":
            allowed.append(person)
    return allowed, recused


def rule_choices() -> list[Cited]:
    """The rule ids a root cause may cite (the profile's rules and obligations), in id order."""
    return [cite(i) for i in sorted(known_rules())]

"""The obligations calendar, pure: from what was done (facts) and a moment, every obligation of RULES.md's
obligations table that applies, with its deadline and whether it is met, due or overdue.

The product interpretation is `shared/scenarios/OVERSIGHT.md`: "a year" runs from an anchor date to the same
month and day a year later (29 Feb → 28 Feb); dates are the institution's local dates; an item is overdue when
its deadline has passed and it has not been met, and meeting it late clears it. Only in-force agencies (an
agreement covering the day, not terminated) and their active human collectors, with the institution's own, are
subjects.

The calendar never types anything in: the caller (oversight/calendar.py) reads the facts from the ledger's tables,
and the same function answers the API, the CLI, the scenario runner and the alerts. Deadlines of complaints and
incidents (`Deadlined`) are computed by their own domains and carried here unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# The obligation ids the calendar computes itself (complaints and incidents arrive as `Deadlined`).
ANNUAL_TRAINING = "art6-annual-training"
SELF_INSPECTION = "art12-self-inspection"
INSPECTION_SCHEDULED = "art12-agency-inspection-scheduled"
INSPECTION_SURPRISE = "art12-agency-inspection-surprise"
ANNUAL_EVALUATION = "art18-annual-evaluation"
PRE_EXPIRY_EVALUATION = "art18-pre-expiry-evaluation"
RECTIFICATION = "art18-rectification"

DEFAULT_DUE_WITHIN_DAYS = 30


class Status(StrEnum):
    MET = "met"  # 已履行: done, and the next deadline is further away than the notice period
    DUE = "due"  # 待履行: not yet done (or the next round is near), the deadline not passed
    OVERDUE = "overdue"  # 已逾期: the deadline passed without the event that meets it


class SubjectKind(StrEnum):
    INSTITUTION = "institution"
    AGENCY = "agency"
    COLLECTOR = "collector"
    AGREEMENT = "agreement"
    ORDER = "rectification_order"
    COMPLAINT = "complaint"
    INCIDENT = "incident"


@dataclass(frozen=True)
class Evidence:
    """An event that met (part of) an obligation: its kind, its id, when, and its ledger record when it has one."""

    kind: str
    id: str
    at: datetime | date
    ledger_seq: int | None = None

    @property
    def day(self) -> date:
        return self.at if not isinstance(self.at, datetime) else self.at.date()


@dataclass(frozen=True)
class Dated:
    """Evidence with its local date (the day it counts on in the institution's zone)."""

    day: date
    evidence: Evidence


@dataclass(frozen=True)
class AgreementFacts:
    id: str
    valid_from: date
    valid_to: date
    pre_expiry_evaluations: tuple[Dated, ...] = ()

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class AgencyFacts:
    id: str
    terminated: bool
    agreements: tuple[AgreementFacts, ...]
    self_inspections: tuple[Dated, ...] = ()
    scheduled_inspections: tuple[Dated, ...] = ()
    surprise_inspections: tuple[Dated, ...] = ()
    evaluations: tuple[Dated, ...] = ()  # annual and pre-expiry evaluations (art. 18(二))

    def in_force(self, day: date) -> bool:
        return not self.terminated and any(a.covers(day) for a in self.agreements)


@dataclass(frozen=True)
class CollectorFacts:
    id: str
    org_id: str
    human: bool
    active: bool
    pre_job_exam: date | None
    trainings: tuple[Dated, ...] = ()  # every training the institution counts, the setup's `last_training` too


@dataclass(frozen=True)
class OrderFacts:
    id: str
    agency_id: str
    due: date
    opened: Evidence
    done: Dated | None = None


@dataclass(frozen=True)
class Deadlined:
    """A one-off obligation with its own deadline, computed by its domain (a complaint's answer, an incident's
    notice): `due_date` (overdue when the local date is after it) or `due_at` (overdue when the instant is)."""

    obligation: str
    subject: str
    subject_kind: SubjectKind
    opened: Evidence
    due_date: date | None = None
    due_at: datetime | None = None
    met: Dated | None = None
    agency: str | None = None  # the agency it concerns (an agency's reader sees it)


@dataclass(frozen=True)
class OversightFacts:
    institution_id: str
    zone: ZoneInfo
    since: date  # the day the institution started collecting: the first anchor of its self-inspection
    pre_expiry_days: int
    agencies: tuple[AgencyFacts, ...] = ()
    collectors: tuple[CollectorFacts, ...] = ()
    self_inspections: tuple[Dated, ...] = ()  # of the institution itself
    orders: tuple[OrderFacts, ...] = ()
    deadlined: tuple[Deadlined, ...] = ()


@dataclass(frozen=True)
class Item:
    """One obligation for one subject: `key` is `OBLIGATION_ID:SUBJECT_ID` (OVERSIGHT.md)."""

    obligation: str
    subject: str
    subject_kind: SubjectKind
    status: Status
    due_date: date | None = None  # the last local day on time (overdue from the day after)
    due_at: datetime | None = None  # the last instant on time
    evidence: tuple[Evidence, ...] = field(default=())
    agency: str | None = None  # the agency the item concerns, for agency-bound readers

    @property
    def key(self) -> str:
        return f"{self.obligation}:{self.subject}"


def add_years(day: date, years: int = 1) -> date:
    """The same month and day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    return at.astimezone(zone).date()


def _latest(events: tuple[Dated, ...], today: date) -> Dated | None:
    """The latest event on or before today (later ones have not happened yet at `today`)."""
    past = [e for e in events if e.day <= today]
    return max(past, key=lambda e: (e.day, str(e.evidence.at))) if past else None


def _yearly(obligation: str, subject: str, kind: SubjectKind, events: tuple[Dated, ...], fallback: date | None,
            today: date, due_within: int, agency: str | None = None) -> Item:
    """A duty that recurs a year after the last time it was met, else a year after `fallback`."""
    last = _latest(events, today)
    anchor = last.day if last is not None else fallback
    evidence = (last.evidence,) if last is not None else ()
    if anchor is None:
        return Item(obligation, subject, kind, Status.OVERDUE, evidence=evidence, agency=agency)
    deadline = add_years(anchor)
    if today > deadline:
        status = Status.OVERDUE
    elif last is not None and (deadline - today).days > due_within:
        status = Status.MET
    else:
        status = Status.DUE
    return Item(obligation, subject, kind, status, due_date=deadline, evidence=evidence, agency=agency)


def annual_training(c: CollectorFacts, today: date, *, due_within_days: int = DEFAULT_DUE_WITHIN_DAYS,
                    agency: str | None = None) -> Item:
    """art6-annual-training of one collector: a year after its latest training on or before `today`, else a year
    after its pre-job exam (what `compute` lists for each active human of the institution and its in-force
    agencies; the console's collectors page asks it of any human it shows)."""
    return _yearly(ANNUAL_TRAINING, c.id, SubjectKind.COLLECTOR, c.trainings, c.pre_job_exam, today,
                   due_within_days, agency=agency)


def _once(obligation: str, subject: str, kind: SubjectKind, deadline: date, met: Dated | None, today: date,
          opened: Evidence | None = None, agency: str | None = None) -> Item:
    """A duty done once by a deadline: met when done (on time or late), else due, then overdue."""
    done = met is not None and met.day <= today
    evidence = tuple(e for e in (opened, met.evidence if done and met else None) if e is not None)
    status = Status.MET if done else Status.OVERDUE if today > deadline else Status.DUE
    return Item(obligation, subject, kind, status, due_date=deadline, evidence=evidence, agency=agency)


def _deadlined(d: Deadlined, at: datetime, today: date) -> Item:
    met = d.met is not None and (d.met.evidence.at <= at if isinstance(d.met.evidence.at, datetime)
                                 else d.met.day <= today)
    if d.due_at is not None:
        late = at > d.due_at
    else:
        assert d.due_date is not None, "a deadlined obligation has a due date or a due instant"
        late = today > d.due_date
    status = Status.MET if met else Status.OVERDUE if late else Status.DUE
    evidence = (d.opened, d.met.evidence) if met and d.met else (d.opened,)
    return Item(d.obligation, d.subject, d.subject_kind, status, due_date=d.due_date, due_at=d.due_at,
                evidence=evidence, agency=d.agency)


def compute(facts: OversightFacts, at: datetime, *, due_within_days: int = DEFAULT_DUE_WITHIN_DAYS) -> list[Item]:
    """Every obligation item of the institution at `at`, in a stable order (obligation, subject)."""
    today = local_day(at, facts.zone)
    n = due_within_days
    items: list[Item] = []
    in_force = [a for a in facts.agencies if a.in_force(today)]
    orgs = {facts.institution_id} | {a.id for a in in_force}
    for c in facts.collectors:
        if c.human and c.active and c.org_id in orgs:
            items.append(annual_training(c, today, due_within_days=n,
                                         agency=c.org_id if c.org_id != facts.institution_id else None))
    items.append(_yearly(SELF_INSPECTION, facts.institution_id, SubjectKind.INSTITUTION, facts.self_inspections,
                         facts.since, today, n))
    for a in in_force:
        first = min(ag.valid_from for ag in a.agreements)
        for obligation, events in ((SELF_INSPECTION, a.self_inspections),
                                   (INSPECTION_SCHEDULED, a.scheduled_inspections),
                                   (INSPECTION_SURPRISE, a.surprise_inspections),
                                   (ANNUAL_EVALUATION, a.evaluations)):
            items.append(_yearly(obligation, a.id, SubjectKind.AGENCY, events, first, today, n, agency=a.id))
        for ag in a.agreements:
            if ag.covers(today):
                # Overdue from `to − pre_expiry_days`: the last day on time is the day before.
                deadline = ag.valid_to - timedelta(days=facts.pre_expiry_days + 1)
                met = _latest(ag.pre_expiry_evaluations, today)
                items.append(_once(PRE_EXPIRY_EVALUATION, ag.id, SubjectKind.AGREEMENT, deadline, met, today,
                                   agency=a.id))
    for o in facts.orders:
        if o.opened.day <= today:
            items.append(_once(RECTIFICATION, o.id, SubjectKind.ORDER, o.due, o.done, today, o.opened,
                               agency=o.agency_id))
    for d in facts.deadlined:
        if d.opened.at <= at if isinstance(d.opened.at, datetime) else d.opened.day <= today:
            items.append(_deadlined(d, at, today))
    return sorted(items, key=lambda i: (i.obligation, i.subject))


def overdue_keys(items: list[Item]) -> list[str]:
    return sorted(i.key for i in items if i.status is Status.OVERDUE)

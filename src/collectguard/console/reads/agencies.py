"""机构 What the agencies pages read: an institution's name list (the agencies it entrusts, approved subcontractors
included, listed or not) with each one's status, agreement, last evaluation and inspection, open rectification
orders and 30 days of figures; and one agency's page — its lifecycle from the ledger, its records and figures.

Counts of attempts come from the pre-aggregated daily figures (gate/daily.py), never from the attempts table. The
list is paged and sorted in SQL (sort keys map to expressions, never interpolated); everything shown for a page's
rows is loaded in one query per kind for all of them (no query per row). An agency-bound viewer sees its own
agency only: another agency's id is not found, as if it did not exist (art. 19(五)).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency, AgencyListing, Agreement, SubcontractorApproval
from collectguard.agencies.repository import works_with
from collectguard.auth.roles import Principal
from collectguard.collectors.models import Collector
from collectguard.console.reads.planner import unindexed
from collectguard.errors import NotFound
from collectguard.gate import daily
from collectguard.gate.models import DailyFigures
from collectguard.ledger.models import LedgerRecord
from collectguard.oversight import models as om
from collectguard.oversight import service as oversight
from collectguard.registry.repository import institution_zone

DAYS = 30  # the figures' window: today and the 29 days before, in the institution's zone
# The statuses the list shows and filters on (a listing's status, or where an agency not on the list stands).
STATUSES = ("listed", "rectifying", "suspended", "delisted", "terminated", "applied", "subcontractor")
SORTS = ("name", "status", "agreement", "evaluated", "inspected", "orders", "attempts", "denial_rate")


# -- what a page shows ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgreementView:
    id: str
    valid_from: date
    valid_to: date
    subcontracting: bool
    days_left: int  # days from today to its last day (negative: expired)
    current: bool  # in force today


@dataclass(frozen=True)
class EvaluationView:
    id: str
    kind: str
    day: date
    passed: bool
    scores: dict[str, int]
    grade: int | None  # the mean of the evaluator's scores
    suggested: dict[str, int]  # the ledger's evidence's suggested scores (annual, pre-expiry), criterion → score
    suggested_grade: int | None
    evaluator: str | None
    note: str | None
    agreement_id: str | None


@dataclass(frozen=True)
class InspectionView:
    id: str
    kind: str
    day: date
    inspector: str | None
    period_from: date | None
    period_to: date | None
    sample_size: int | None
    note: str | None
    findings: list[om.InspectionFinding] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    attempts: int = 0
    allowed: int = 0
    denied: int = 0

    @property
    def denial_rate(self) -> float | None:
        return self.denied / self.attempts if self.attempts else None


@dataclass(frozen=True)
class Row:
    """One agency of the name list."""

    id: str
    name: str | None
    parent_id: str | None
    status: str
    since: datetime | None
    agreement: AgreementView | None
    evaluation: EvaluationView | None
    inspection: InspectionView | None
    open_orders: int
    overdue_orders: int
    stop_orders: int
    figures: Figures


@dataclass(frozen=True)
class Event:
    """A ledger record of the agency's lifecycle."""

    seq: int
    kind: str
    subject: str
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One agency's page."""

    agency: Agency
    parent: Agency | None
    status: str
    since: datetime | None
    stage: dict[str, Any]
    approved_subcontractor: bool
    subcontractors: list[Agency]
    agreements: list[AgreementView]
    evaluations: list[EvaluationView]
    commitments: list[om.AgencyCommitment]
    inspections: list[InspectionView]
    orders: list[om.RectificationOrder]
    collectors: dict[str, int]  # status → count, the agency's own collectors
    timeline: list[Event]
    today: date
    zone: str  # the institution's zone, for the times shown
    days: list[date]
    totals: list[daily.Totals]  # per day of `days` (gate.daily)
    denials_by_rule: list[tuple[str, int]]


# -- the name list ---------------------------------------------------------------------------------------------
def _status_expr() -> ColumnElement[str]:
    return case(
        (AgencyListing.status.is_(None), case((Agency.parent_id.is_not(None), "subcontractor"), else_="applied")),
        (AgencyListing.status == "active", "listed"),
        (AgencyListing.status == "rectification_stop", "rectifying"),
        else_=AgencyListing.status)


def _scope(p: Principal) -> list[ColumnElement[bool]]:
    """The agencies the viewer may see: those the institution works with; an agency-bound viewer, its own."""
    where = [works_with(p)]
    if p.agency_id is not None:
        where.append(Agency.id == p.agency_id)
    return where


def name_list(session: Session, p: Principal, now: datetime, *, sort: str = "name", desc: bool = False,
              status: str | None = None, q: str = "", limit: int = 25,
              offset: int = 0) -> tuple[list[Row], int, date, str]:
    """A page of the institution's name list, sorted and filtered in SQL, and the total; with the local day and
    the institution's zone."""
    inst = p.institution_id
    zone = institution_zone(session, inst)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    status_expr = _status_expr()
    stmt = (select(Agency, AgencyListing.since, status_expr.label("status"))
            .outerjoin(AgencyListing, and_(AgencyListing.agency_id == Agency.id, AgencyListing.institution_id == inst))
            .where(*_scope(p)))
    if status in STATUSES:
        stmt = stmt.where(status_expr == status)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Agency.name.ilike(like, escape="\\"), Agency.id.ilike(like, escape="\\")))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    key = _sort_expr(sort, inst, first, today, status_expr)
    order = [key.desc().nulls_last() if desc else key.asc().nulls_last(), Agency.id]
    found = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    ids = [a.id for a, _, _ in found]
    agreements = _current_agreements(session, inst, ids, today)
    evaluations = _latest_evaluations(session, inst, ids)
    inspections = _latest_inspections(session, inst, ids)
    orders = _open_orders(session, inst, ids, today)
    figures = _figures_by_org(session, inst, ids, first, today)
    rows = [Row(a.id, a.name, a.parent_id, st, since, agreements.get(a.id), evaluations.get(a.id),
                inspections.get(a.id), *orders.get(a.id, (0, 0, 0)), figures.get(a.id, Figures()))
            for a, since, st in found]
    return rows, total, today, zone.key


def _sort_expr(sort: str, inst: str, first: date, today: date, status_expr: ColumnElement[str]) -> ColumnElement[Any]:
    """The SQL expression a sort key orders by (correlated to the agency row)."""
    if sort == "status":
        return status_expr
    if sort == "agreement":
        return (select(func.max(Agreement.valid_to))
                .where(Agreement.institution_id == inst, Agreement.agency_id == Agency.id).scalar_subquery())
    if sort == "evaluated":
        return (select(func.max(om.AgencyEvaluation.at))
                .where(om.AgencyEvaluation.institution_id == inst, om.AgencyEvaluation.agency_id == Agency.id)
                .scalar_subquery())
    if sort == "inspected":
        return (select(func.max(om.Inspection.at))
                .where(om.Inspection.institution_id == inst, om.Inspection.org_id == Agency.id).scalar_subquery())
    if sort == "orders":
        return (select(func.count()).select_from(om.RectificationOrder)
                .where(om.RectificationOrder.institution_id == inst, om.RectificationOrder.agency_id == Agency.id,
                       om.RectificationOrder.done_at.is_(None)).scalar_subquery())
    if sort in ("attempts", "denial_rate"):
        window = [DailyFigures.institution_id == inst, DailyFigures.day >= first, DailyFigures.day <= today,
                  DailyFigures.org_id == Agency.id]
        attempts = select(func.sum(DailyFigures.attempts)).where(*window).scalar_subquery()
        if sort == "attempts":
            return func.coalesce(attempts, 0)
        denied = select(func.sum(DailyFigures.denied)).where(*window).scalar_subquery()
        return denied * 1.0 / func.nullif(attempts, 0)
    return func.coalesce(Agency.name, Agency.id)


def _agreement_view(a: Agreement, today: date) -> AgreementView:
    return AgreementView(a.id, a.valid_from, a.valid_to, a.subcontracting, (a.valid_to - today).days,
                         a.valid_from <= today <= a.valid_to)


def _current_agreements(session: Session, inst: str, ids: Sequence[str], today: date) -> dict[str, AgreementView]:
    """Per agency: the agreement in force today, else the one that ends last."""
    out: dict[str, AgreementView] = {}
    if not ids:
        return out
    rows = session.execute(select(Agreement).where(Agreement.institution_id == inst, Agreement.agency_id.in_(ids))
                           .order_by(Agreement.valid_to.desc(), Agreement.id)).scalars()
    for a in rows:
        view = _agreement_view(a, today)
        held = out.get(a.agency_id)
        if held is None or (view.current and not held.current):
            out[a.agency_id] = view
    return out


def _mean(values: Iterable[int]) -> int | None:
    numbers = list(values)
    return round(sum(numbers) / len(numbers)) if numbers else None


def evaluation_view(e: om.AgencyEvaluation) -> EvaluationView:
    suggested_scores: dict[str, int] = {}
    found = (e.suggested or {}).get("suggested") or {}
    for criterion, value in found.items():
        if isinstance(value, dict) and isinstance(value.get("score"), int):
            suggested_scores[criterion] = value["score"]
    scores = {k: int(v) for k, v in (e.scores or {}).items()}
    return EvaluationView(e.id, e.kind, e.day, e.passed, scores, _mean(scores.values()), suggested_scores,
                          _mean(suggested_scores.values()), e.evaluator, e.note, e.agreement_id)


def _latest_evaluations(session: Session, inst: str, ids: Sequence[str]) -> dict[str, EvaluationView]:
    out: dict[str, EvaluationView] = {}
    if not ids:
        return out
    latest = (select(om.AgencyEvaluation.agency_id, func.max(om.AgencyEvaluation.at).label("at"))
              .where(om.AgencyEvaluation.institution_id == inst, om.AgencyEvaluation.agency_id.in_(ids))
              .group_by(om.AgencyEvaluation.agency_id).subquery())
    rows = session.execute(select(om.AgencyEvaluation).join(latest, and_(
        om.AgencyEvaluation.agency_id == latest.c.agency_id, om.AgencyEvaluation.at == latest.c.at))
        .where(om.AgencyEvaluation.institution_id == inst)
        .order_by(om.AgencyEvaluation.ledger_seq.desc())).scalars()
    for e in rows:
        out.setdefault(e.agency_id, evaluation_view(e))
    return out


def _inspection_view(i: om.Inspection, findings: list[om.InspectionFinding]) -> InspectionView:
    return InspectionView(i.id, i.kind, i.day, i.inspector, i.period_from, i.period_to, i.sample_size, i.note,
                          findings)


def _latest_inspections(session: Session, inst: str, ids: Sequence[str]) -> dict[str, InspectionView]:
    out: dict[str, InspectionView] = {}
    if not ids:
        return out
    latest = (select(om.Inspection.org_id, func.max(om.Inspection.at).label("at"))
              .where(om.Inspection.institution_id == inst, om.Inspection.org_id.in_(ids))
              .group_by(om.Inspection.org_id).subquery())
    rows = list(session.execute(select(om.Inspection).join(latest, and_(
        om.Inspection.org_id == latest.c.org_id, om.Inspection.at == latest.c.at))
        .where(om.Inspection.institution_id == inst).order_by(om.Inspection.ledger_seq.desc())).scalars())
    found = _findings(session, [i.id for i in rows])
    for i in rows:
        out.setdefault(i.org_id, _inspection_view(i, found.get(i.id, [])))
    return out


def _findings(session: Session, ids: Sequence[str]) -> dict[str, list[om.InspectionFinding]]:
    out: dict[str, list[om.InspectionFinding]] = {}
    if ids:
        for f in session.execute(select(om.InspectionFinding).where(om.InspectionFinding.inspection_id.in_(ids))
                                 .order_by(om.InspectionFinding.inspection_id, om.InspectionFinding.n)).scalars():
            out.setdefault(f.inspection_id, []).append(f)
    return out


def _open_orders(session: Session, inst: str, ids: Sequence[str], today: date) -> dict[str, tuple[int, int, int]]:
    """Per agency: open rectification orders, those past their due day, those that stop collection."""
    if not ids:
        return {}
    o = om.RectificationOrder
    rows = session.execute(select(o.agency_id, func.count(), func.sum(case((o.due < today, 1), else_=0)),
                                  func.sum(case((o.stop_collection.is_(True), 1), else_=0)))
                           .where(o.institution_id == inst, o.agency_id.in_(ids), o.done_at.is_(None))
                           .group_by(o.agency_id)).all()
    return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}


def _figures_by_org(session: Session, inst: str, ids: Sequence[str], first: date,
                    last: date) -> dict[str, Figures]:
    if not ids:
        return {}
    return {t.key: Figures(t.attempts, t.allowed, t.denied)
            for t in daily.by_org(session, inst, first, last, orgs=ids)}


# -- one agency ----------------------------------------------------------------------------------------------------
def visible_agency(session: Session, p: Principal, agency_id: str) -> Agency:
    """The agency, if the viewer may see it; else the same 404 as an id that does not exist."""
    row = session.execute(select(Agency).where(Agency.id == agency_id, *_scope(p))).scalar()
    if row is None:
        raise NotFound("agency", agency_id, field="id")
    return row


TIMELINE_KINDS = ("registry:agency:", "registry:agreement:", "registry:subcontractor-approval:", "agency:listing:",
                  "oversight:")
TIMELINE_LIMIT = 200


def timeline(session: Session, inst: str, subjects: Sequence[str]) -> list[Event]:
    """The institution's ledger records about the agency and its agreements, evaluations, inspections and orders,
    in the ledger's order (the last `TIMELINE_LIMIT`)."""
    rows = session.execute(select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.at,
                                  LedgerRecord.body)
                           .where(LedgerRecord.subject.in_(list(dict.fromkeys(subjects))),
                                  unindexed(LedgerRecord.institution_id) == inst,  # the subject's index
                                  or_(*(LedgerRecord.kind.startswith(k) for k in TIMELINE_KINDS)))
                           # `seq + 0`: sorted after the subject index found the few rows, never by walking
                           # the whole ledger backwards along its primary key (SQLite: 1.6 s at 2M records)
                           .order_by((LedgerRecord.seq + 0).desc()).limit(TIMELINE_LIMIT)).all()
    events = []
    for seq, kind, subject, at, body in reversed(rows):
        try:
            payload = json.loads(body).get("payload") or {}
        except (ValueError, AttributeError):
            payload = {}
        events.append(Event(seq, kind, subject, at, payload if isinstance(payload, dict) else {}))
    return events


def agency_page(session: Session, p: Principal, agency_id: str, now: datetime) -> Page:
    inst = p.institution_id
    agency = visible_agency(session, p, agency_id)
    zone = institution_zone(session, inst)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    listing = session.get(AgencyListing, (inst, agency_id))
    status = session.execute(select(_status_expr()).select_from(Agency).outerjoin(AgencyListing, and_(
        AgencyListing.agency_id == Agency.id, AgencyListing.institution_id == inst))
        .where(Agency.id == agency_id)).scalar_one()
    agreements = [_agreement_view(a, today) for a in session.execute(
        select(Agreement).where(Agreement.institution_id == inst, Agreement.agency_id == agency_id)
        .order_by(Agreement.valid_from.desc(), Agreement.id)).scalars()]
    evaluations = [evaluation_view(e) for e in session.execute(
        select(om.AgencyEvaluation).where(om.AgencyEvaluation.institution_id == inst,
                                          om.AgencyEvaluation.agency_id == agency_id)
        .order_by(om.AgencyEvaluation.at.desc(), om.AgencyEvaluation.ledger_seq.desc()).limit(50)).scalars()]
    inspection_rows = list(session.execute(
        select(om.Inspection).where(om.Inspection.institution_id == inst, om.Inspection.org_id == agency_id)
        .order_by(om.Inspection.at.desc(), om.Inspection.id).limit(50)).scalars())
    found = _findings(session, [i.id for i in inspection_rows])
    orders = list(session.execute(
        select(om.RectificationOrder).where(om.RectificationOrder.institution_id == inst,
                                            om.RectificationOrder.agency_id == agency_id)
        .order_by(om.RectificationOrder.done_at.is_not(None), om.RectificationOrder.opened_at.desc())
        .limit(50)).scalars())
    commitments = list(session.execute(
        select(om.AgencyCommitment).where(om.AgencyCommitment.institution_id == inst,
                                          om.AgencyCommitment.agency_id == agency_id)
        .order_by(om.AgencyCommitment.item)).scalars())
    collectors = {s: int(n) for s, n in session.execute(
        select(Collector.status, func.count()).where(Collector.org_id == agency_id).group_by(Collector.status))}
    subcontractors = [] if p.agency_id is not None else list(session.execute(
        select(Agency).where(Agency.parent_id == agency_id, works_with(p)).order_by(Agency.id)).scalars())
    subjects = [agency_id, *(a.id for a in agreements), *(e.id for e in evaluations),
                *(i.id for i in inspection_rows), *(o.id for o in orders)]
    days = [first + timedelta(days=n) for n in range(DAYS)]
    return Page(
        agency=agency, parent=session.get(Agency, agency.parent_id) if agency.parent_id else None, status=status,
        since=listing.since if listing is not None else None, stage=oversight.stage(session, inst, agency_id),
        approved_subcontractor=session.get(SubcontractorApproval, (inst, agency_id)) is not None,
        subcontractors=subcontractors, agreements=agreements, evaluations=evaluations, commitments=commitments,
        inspections=[_inspection_view(i, found.get(i.id, [])) for i in inspection_rows], orders=orders,
        collectors=collectors, timeline=timeline(session, inst, subjects), today=today, zone=zone.key, days=days,
        totals=daily.totals(session, inst, first, today, orgs=[agency_id]),
        denials_by_rule=[(r.rule, r.n) for r in daily.denials_by_rule(session, inst, first, today, orgs=[agency_id])])


def agreements_of(session: Session, inst: str, agency_id: str) -> list[Agreement]:
    return list(session.execute(select(Agreement).where(Agreement.institution_id == inst,
                                                        Agreement.agency_id == agency_id)
                                .order_by(Agreement.valid_from.desc())).scalars())

"""The obligations calendar of one institution at one moment, computed from what the ledger's tables hold —
never typed in: this module reads the facts (agreements, listings, collectors and their trainings, inspections,
evaluations, orders) as they stood at `at`, and `rulebook.obligations.compute` judges them.

    items = obligations(session, "bank", at)          # every item, met, due or overdue
    overdue = [i.key for i in items if i.status == "overdue"]

Complaints and incidents add their `Deadlined` facts through `extra_facts()`: a function per domain, each given
(session, institution_id, at, profile, policy) and returning `Deadlined` items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.oversight import models as om
from collectguard.oversight.schemas import (
    EvaluationKind,
    EvidenceOut,
    InspectionKind,
    ObligationOut,
    ObligationsOut,
)
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone
from collectguard.registry.service import to_policy
from collectguard.rulebook import obligations as ob
from collectguard.rulebook.policy import InstitutionPolicy
from collectguard.rulebook.profile import Profile, load_profile
from collectguard.rulebook.vocabulary import CollectorKind, CollectorStatus, ListingStatus

ExtraFacts = Callable[[Session, str, datetime, Profile, InstitutionPolicy], list[ob.Deadlined]]


def extra_facts() -> tuple[ExtraFacts, ...]:
    """Domains that bring one-off obligations of their own: a complaint's answer (art. 22), an incident's notice
    (arts. 21(二), 24). Imported when asked: those domains read oversight's tables, not the other way round."""
    from collectguard.complaints.deadlines import complaint_deadlines
    from collectguard.incidents.deadlines import incident_deadlines

    return (complaint_deadlines, incident_deadlines)


def _dated(day: date, kind: str, ident: str, at: datetime | date, seq: int | None) -> ob.Dated:
    return ob.Dated(day, ob.Evidence(kind, ident, at, seq))


def facts(session: Session, institution_id: str, at: datetime) -> ob.OversightFacts:
    """What the institution had done by `at`, as the rulebook's immutable facts."""
    inst = session.get(m.Institution, institution_id)
    if inst is None:
        raise NotFound("institution", institution_id, field="institution")
    zone = institution_zone(session, institution_id)
    today = ob.local_day(at, zone)
    profile = load_profile(inst.profile)
    policy = to_policy(inst.policy)

    agreements = session.execute(select(m.Agreement).where(m.Agreement.institution_id == institution_id)
                                 .order_by(m.Agreement.valid_from, m.Agreement.id)).scalars().all()
    by_agency: dict[str, list[m.Agreement]] = defaultdict(list)
    for a in agreements:
        by_agency[a.agency_id].append(a)
    listings = {r.agency_id: r for r in session.execute(select(m.AgencyListing).where(
        m.AgencyListing.institution_id == institution_id)).scalars()}

    inspections: dict[tuple[str, str], list[ob.Dated]] = defaultdict(list)
    for i in session.execute(select(om.Inspection).where(om.Inspection.institution_id == institution_id,
                                                         om.Inspection.at <= at)).scalars():
        inspections[(i.kind, i.org_id)].append(_dated(i.day, f"inspection:{i.kind}", i.id, i.at, i.ledger_seq))
    periodic: dict[str, list[ob.Dated]] = defaultdict(list)
    pre_expiry: dict[str, list[ob.Dated]] = defaultdict(list)
    for e in session.execute(select(om.AgencyEvaluation).where(
            om.AgencyEvaluation.institution_id == institution_id, om.AgencyEvaluation.at <= at,
            om.AgencyEvaluation.kind != EvaluationKind.ADMISSION)).scalars():
        dated = _dated(e.day, f"evaluation:{e.kind}", e.id, e.at, e.ledger_seq)
        periodic[e.agency_id].append(dated)
        if e.kind == EvaluationKind.PRE_EXPIRY and e.agreement_id:
            pre_expiry[e.agreement_id].append(dated)

    agencies = []
    for agency_id, rows in by_agency.items():
        listing = listings.get(agency_id)
        terminated = (listing is not None and listing.status == ListingStatus.TERMINATED
                      and (listing.since is None or listing.since <= at))
        agencies.append(ob.AgencyFacts(
            id=agency_id, terminated=terminated,
            agreements=tuple(ob.AgreementFacts(a.id, a.valid_from, a.valid_to, tuple(pre_expiry.get(a.id, ())))
                             for a in rows),
            self_inspections=tuple(inspections.get((InspectionKind.SELF, agency_id), ())),
            scheduled_inspections=tuple(inspections.get((InspectionKind.AGENCY_SCHEDULED, agency_id), ())),
            surprise_inspections=tuple(inspections.get((InspectionKind.AGENCY_SURPRISE, agency_id), ())),
            evaluations=tuple(periodic.get(agency_id, ()))))

    orders = []
    for o in session.execute(select(om.RectificationOrder).where(
            om.RectificationOrder.institution_id == institution_id, om.RectificationOrder.opened_at <= at)).scalars():
        finished = o.done_at is not None and o.done_at <= at and o.done_day is not None
        orders.append(ob.OrderFacts(
            id=o.id, agency_id=o.agency_id, due=o.due,
            opened=ob.Evidence("rectification:ordered", o.id, o.opened_at, o.ledger_seq),
            done=_dated(o.done_day, "rectification:done", o.id, o.done_at, o.done_seq)
            if finished and o.done_day and o.done_at else None))

    since = inst.since or today
    extra: list[ob.Deadlined] = []
    for more in extra_facts():
        extra.extend(more(session, institution_id, at, profile, policy))
    return ob.OversightFacts(
        institution_id=institution_id, zone=zone, since=since,
        pre_expiry_days=policy.pre_expiry_days or profile.pre_expiry_days,
        agencies=tuple(agencies), collectors=tuple(_collectors(session, institution_id, list(by_agency), today)),
        self_inspections=tuple(inspections.get((InspectionKind.SELF, institution_id), ())),
        orders=tuple(orders), deadlined=tuple(extra))


def collector_facts(session: Session, institution_id: str, orgs: list[str], today: date) -> list[ob.CollectorFacts]:
    """The human collectors of the institution and of `orgs`, as the calendar reads them (the console's collectors
    page: the same trainings, the same suspension by the institution)."""
    return _collectors(session, institution_id, orgs, today)


def _collectors(session: Session, institution_id: str, agencies: list[str], today: date) -> list[ob.CollectorFacts]:
    """Human collectors of the institution and of the agencies it has agreements with, each with the trainings
    this institution counts: the organisation's own (shared) and the institution's own recognitions."""
    rows = session.execute(select(m.Collector).where(
        m.Collector.org_id.in_([institution_id, *agencies]), m.Collector.kind == CollectorKind.HUMAN)
        .order_by(m.Collector.id)).scalars().all()
    ids = [c.id for c in rows]
    trainings: dict[str, list[ob.Dated]] = defaultdict(list)
    suspended: set[str] = set()
    if ids:
        for t in session.execute(select(m.Training).where(
                m.Training.collector_id.in_(ids), m.Training.day <= today,
                or_(m.Training.institution_id.is_(None), m.Training.institution_id == institution_id))).scalars():
            trainings[t.collector_id].append(_dated(t.day, "training", str(t.id), t.day, None))
        suspended = set(session.execute(select(m.CollectorAcceptance.collector_id).where(
            m.CollectorAcceptance.institution_id == institution_id, m.CollectorAcceptance.collector_id.in_(ids),
            m.CollectorAcceptance.status == CollectorStatus.SUSPENDED)).scalars())
    out = []
    for c in rows:
        dates = list(trainings.get(c.id, ()))
        if c.last_training is not None and c.last_training <= today:
            dates.append(_dated(c.last_training, "training", f"{c.id}@{c.last_training.isoformat()}",
                                c.last_training, None))
        out.append(ob.CollectorFacts(id=c.id, org_id=c.org_id, human=True,
                                     active=c.status == CollectorStatus.ACTIVE and c.id not in suspended,
                                     pre_job_exam=c.pre_job_exam, trainings=tuple(dates)))
    return out


def obligations(session: Session, institution_id: str, at: datetime, *,
                due_within_days: int = ob.DEFAULT_DUE_WITHIN_DAYS) -> list[ObligationOut]:
    """Every obligation item of the institution at `at`, with its article, titles and evidence."""
    found = facts(session, institution_id, at)
    institution = session.get(m.Institution, institution_id)  # read by `facts` already: the identity map has it
    assert institution is not None
    meta = load_profile(institution.profile).obligations
    return [_out(item, meta) for item in ob.compute(found, at, due_within_days=due_within_days)]


def calendar(session: Session, institution_id: str, at: datetime, *,
             due_within_days: int = ob.DEFAULT_DUE_WITHIN_DAYS, agency: str | None = None,
             status: str | None = None, pressing: bool = False) -> ObligationsOut:
    """The calendar as the API and CLI show it: counts by status, then the items (optionally of one agency's
    subjects only, or of one status). `pressing`: only what needs doing now — overdue items, and items not met
    whose deadline is within `due_within_days`."""
    items = obligations(session, institution_id, at, due_within_days=due_within_days)
    if agency is not None:
        items = [i for i in items if i.agency == agency]
    counts = {s.value: sum(1 for i in items if i.status == s.value) for s in ob.Status}
    zone = institution_zone(session, institution_id)
    if pressing:
        today = ob.local_day(at, zone)
        items = [i for i in items if i.status == "overdue" or (i.status == "due" and _within(i, at, today,
                                                                                             due_within_days))]
    if status is not None:
        items = [i for i in items if i.status == status]
    return ObligationsOut(institution=institution_id, at=at, day=ob.local_day(at, zone), timezone=zone.key,
                          due_within_days=due_within_days, counts=counts, items=items)


def _within(item: ObligationOut, at: datetime, today: date, days: int) -> bool:
    if item.due_at is not None:
        return (item.due_at - at).total_seconds() <= days * 86_400
    return item.due_date is None or (item.due_date - today).days <= days




def _out(item: ob.Item, meta: Any) -> ObligationOut:
    info = meta.get(item.obligation)
    return ObligationOut(
        key=item.key, obligation=item.obligation, article=info.article if info else "",
        title_zh=info.title_zh if info else item.obligation, title_en=info.title_en if info else item.obligation,
        subject=item.subject, subject_kind=item.subject_kind.value, agency=item.agency, status=item.status.value,
        due_date=item.due_date, due_at=item.due_at,
        evidence=[EvidenceOut(kind=e.kind, id=e.id, at=e.at, ledger_seq=e.ledger_seq) for e in item.evidence])

"""Queries of oversight: evaluations, commitments, inspections, orders, and where an agency stands with an
institution. Reads only; the service changes, the endpoints scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from collectguard.db.query import paged
from collectguard.debts.models import Debt, Placement
from collectguard.oversight import models as om
from collectguard.oversight.schemas import Commitment, EvaluationKind
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone
from collectguard.rulebook.vocabulary import ListingStatus


def local_day(session: Session, institution_id: str, at: datetime) -> date:
    return at.astimezone(institution_zone(session, institution_id)).date()


def listing(session: Session, institution_id: str, agency_id: str) -> m.AgencyListing | None:
    return session.get(m.AgencyListing, (institution_id, agency_id))


def terminated_at(session: Session, institution_id: str, agency_id: str) -> datetime | None:
    row = listing(session, institution_id, agency_id)
    return row.since if row is not None and row.status == ListingStatus.TERMINATED else None


def evaluations(session: Session, institution_id: str, *, agency_id: str | None = None,
                agencies: Sequence[str] | None = None, kind: EvaluationKind | None = None,
                limit: int | None = None, offset: int = 0) -> tuple[list[om.AgencyEvaluation], int]:
    stmt = select(om.AgencyEvaluation).where(om.AgencyEvaluation.institution_id == institution_id)
    if agency_id is not None:
        stmt = stmt.where(om.AgencyEvaluation.agency_id == agency_id)
    if agencies is not None:
        stmt = stmt.where(om.AgencyEvaluation.agency_id.in_(agencies))
    if kind is not None:
        stmt = stmt.where(om.AgencyEvaluation.kind == kind)
    return paged(session, stmt.order_by(om.AgencyEvaluation.at.desc(), om.AgencyEvaluation.id), limit, offset)


def latest_admission(session: Session, institution_id: str, agency_id: str) -> om.AgencyEvaluation | None:
    return session.execute(select(om.AgencyEvaluation).where(
        om.AgencyEvaluation.institution_id == institution_id, om.AgencyEvaluation.agency_id == agency_id,
        om.AgencyEvaluation.kind == EvaluationKind.ADMISSION,
    ).order_by(om.AgencyEvaluation.at.desc(), om.AgencyEvaluation.ledger_seq.desc()).limit(1)).scalar()


def commitments(session: Session, institution_id: str, agency_id: str) -> list[om.AgencyCommitment]:
    return list(session.execute(select(om.AgencyCommitment).where(
        om.AgencyCommitment.institution_id == institution_id, om.AgencyCommitment.agency_id == agency_id,
    ).order_by(om.AgencyCommitment.item)).scalars())


def commitments_since(session: Session, institution_id: str, agency_id: str, since: datetime | None) -> set[Commitment]:
    return {Commitment(c.item) for c in commitments(session, institution_id, agency_id)
            if since is None or c.at > since}


def inspections(session: Session, institution_id: str, *, orgs: Sequence[str] | None = None,
                limit: int | None = None, offset: int = 0) -> tuple[list[om.Inspection], int]:
    stmt = select(om.Inspection).where(om.Inspection.institution_id == institution_id)
    if orgs is not None:
        stmt = stmt.where(om.Inspection.org_id.in_(orgs))
    return paged(session, stmt.order_by(om.Inspection.at.desc(), om.Inspection.id), limit, offset)


def findings(session: Session, inspection_ids: Sequence[str]) -> dict[str, list[om.InspectionFinding]]:
    out: dict[str, list[om.InspectionFinding]] = {i: [] for i in inspection_ids}
    if inspection_ids:
        for f in session.execute(select(om.InspectionFinding).where(
                om.InspectionFinding.inspection_id.in_(inspection_ids)).order_by(om.InspectionFinding.n)).scalars():
            out[f.inspection_id].append(f)
    return out


def orders(session: Session, institution_id: str, *, agency_id: str | None = None,
           agencies: Sequence[str] | None = None, open_only: bool = False, stop_only: bool = False,
           limit: int | None = None, offset: int = 0) -> tuple[list[om.RectificationOrder], int]:
    stmt = select(om.RectificationOrder).where(om.RectificationOrder.institution_id == institution_id)
    if agency_id is not None:
        stmt = stmt.where(om.RectificationOrder.agency_id == agency_id)
    if agencies is not None:
        stmt = stmt.where(om.RectificationOrder.agency_id.in_(agencies))
    if open_only:
        stmt = stmt.where(om.RectificationOrder.done_at.is_(None))
    if stop_only:
        stmt = stmt.where(om.RectificationOrder.stop_collection.is_(True))
    return paged(session, stmt.order_by(om.RectificationOrder.opened_at.desc(), om.RectificationOrder.id),
                 limit, offset)


def placed_debts(session: Session, institution_id: str, agency_id: str, day: date) -> list[str]:
    """The institution's open debts placed with the agency (or a subcontractor collects under it) on `day`."""
    return list(session.execute(select(Debt.id).join(Placement, and_(
        Placement.debt_id == Debt.id, Placement.agency_id == agency_id, Placement.valid_from <= day,
        Placement.valid_to >= day)).where(Debt.institution_id == institution_id, Debt.status != "settled")
        .order_by(Debt.id)).scalars())


def staff(session: Session, orgs: Sequence[str], limit: int | None = None,
          offset: int = 0) -> tuple[list[om.Staff], int]:
    return paged(session, select(om.Staff).where(om.Staff.org_id.in_(orgs)).order_by(om.Staff.id), limit, offset)

"""Queries of complaints: one complaint and its timeline, pages of an institution's complaints by status, agency,
channel and lateness, a debtor's complaints, the open ones the calendar judges. Reads only; the service changes,
the endpoints scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectguard.complaints.models import Complaint, ComplaintStep
from collectguard.db.query import paged, where_given

RESOLVED = "resolved"


def answer_by(row: Complaint) -> date:
    """The deadline in force: the extended one when the answer was extended (with a reason), else the first."""
    return row.extended_due_date or row.due_date


def is_overdue(row: Complaint, today: date) -> bool:
    return row.status != RESOLVED and today > answer_by(row)


def is_late(row: Complaint) -> bool:
    return row.resolved_day is not None and row.resolved_day > answer_by(row)


def steps(session: Session, complaint_ids: Sequence[str]) -> dict[str, list[ComplaintStep]]:
    found: dict[str, list[ComplaintStep]] = {i: [] for i in complaint_ids}
    if not complaint_ids:
        return found
    for row in session.execute(select(ComplaintStep).where(ComplaintStep.complaint_id.in_(list(complaint_ids)))
                               .order_by(ComplaintStep.complaint_id, ComplaintStep.n)).scalars():
        found[row.complaint_id].append(row)
    return found


def next_step(session: Session, complaint_id: str) -> int:
    last = session.execute(select(func.max(ComplaintStep.n)).where(ComplaintStep.complaint_id == complaint_id)).scalar()
    return (last or 0) + 1


def complaints(session: Session, institution_id: str, *, status: str | None = None, agency_id: str | None = None,
               agencies: Sequence[str] | None = None, channel: str | None = None, collector_id: str | None = None,
               debtor_id: str | None = None, overdue_on: date | None = None, limit: int | None = None,
               offset: int = 0) -> tuple[list[Complaint], int]:
    """A page of the institution's complaints, newest first. `overdue_on`: only those past their deadline in force
    on that local date and not resolved."""
    stmt = where_given(select(Complaint).where(Complaint.institution_id == institution_id),
                       (Complaint.status, status), (Complaint.agency_id, agency_id), (Complaint.channel, channel),
                       (Complaint.collector_id, collector_id), (Complaint.debtor_id, debtor_id))
    if agencies is not None:
        stmt = stmt.where(Complaint.agency_id.in_(list(agencies)))
    if overdue_on is not None:
        stmt = stmt.where(Complaint.status != RESOLVED,
                          func.coalesce(Complaint.extended_due_date, Complaint.due_date) < overdue_on)
    return paged(session, stmt.order_by(Complaint.received_at.desc(), Complaint.id), limit, offset)


def of_debtor(session: Session, debtor_id: str) -> list[Complaint]:
    return list(session.execute(select(Complaint).where(Complaint.debtor_id == debtor_id)
                                .order_by(Complaint.id)).scalars())


def deadline_rows(session: Session, institution_id: str, day: date) -> list[Any]:
    """(id, received_at, due_date, resolved_at, resolved_day, ledger_seq, agency_id) of the institution's complaints
    registered by `day` — the calendar's columns only (no personal data read), along ix_complaints_institution_day."""
    return list(session.execute(select(Complaint.id, Complaint.received_at, Complaint.due_date, Complaint.resolved_at,
                                       Complaint.resolved_day, Complaint.ledger_seq, Complaint.agency_id)
                                .where(Complaint.institution_id == institution_id, Complaint.day <= day)
                                .order_by(Complaint.day, Complaint.id)).all())


def institution_step_marks(session: Session, institution_id: str) -> list[Any]:
    """(complaint id, step, at, detail, ledger_seq) of every extension and answer of the institution's complaints."""
    return list(session.execute(select(ComplaintStep.complaint_id, ComplaintStep.step, ComplaintStep.at,
                                       ComplaintStep.detail, ComplaintStep.ledger_seq)
                                .join(Complaint, Complaint.id == ComplaintStep.complaint_id)
                                .where(Complaint.institution_id == institution_id,
                                       ComplaintStep.step.in_(("extended", "resolved")))
                                .order_by(ComplaintStep.complaint_id, ComplaintStep.n)).all())

"""The calendar's one-off obligations of complaints: each complaint's answer (`art22-complaint-response`, art. 22).

A complaint registered on local day D with `complaint_days` N is due by D + N (the extended date when the answer
was extended with a reason) and overdue from the day after, until it is resolved; resolving late meets it
(OVERSIGHT.md: "meeting it late clears it"). Only complaints registered by `at` count."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from collectguard.complaints import repository as repo
from collectguard.registry.repository import institution_zone
from collectguard.rulebook.obligations import Dated, Deadlined, Evidence, SubjectKind, local_day
from collectguard.rulebook.policy import InstitutionPolicy
from collectguard.rulebook.profile import Profile

OBLIGATION = "art22-complaint-response"


def complaint_deadlines(session: Session, institution_id: str, at: datetime, profile: Profile,
                        policy: InstitutionPolicy) -> list[Deadlined]:
    today = local_day(at, institution_zone(session, institution_id))
    rows = [r for r in repo.deadline_rows(session, institution_id, today) if r.received_at <= at]
    if not rows:
        return []
    extended: dict[str, date] = {}
    resolved: dict[str, int] = {}
    for mark in repo.institution_step_marks(session, institution_id):
        if mark.at > at:
            continue  # an extension or answer made later does not rewrite the past
        if mark.step == "extended":
            extended[mark.complaint_id] = date.fromisoformat(mark.detail["to"])
        else:
            resolved[mark.complaint_id] = mark.ledger_seq
    out = []
    for row in rows:
        met = None
        if row.id in resolved and row.resolved_at is not None and row.resolved_day is not None:
            met = Dated(row.resolved_day, Evidence("complaint_resolved", row.id, row.resolved_at, resolved[row.id]))
        out.append(Deadlined(OBLIGATION, row.id, SubjectKind.COMPLAINT,
                             opened=Evidence("complaint", row.id, row.received_at, row.ledger_seq),
                             due_date=extended.get(row.id, row.due_date), met=met, agency=row.agency_id))
    return out

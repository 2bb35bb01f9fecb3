"""Queries of incidents: an institution's incidents (an agency's own only, for its operator), their notices.
Reads only; the service changes, the endpoints scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from collectguard.incidents.models import Incident, IncidentNotification


def incidents(session: Session, institution_id: str, *, agencies: Sequence[str] | None = None,
              kind: str | None = None, open_only: bool = False, reported_by: datetime | None = None,
              limit: int | None = None, offset: int = 0) -> tuple[list[Incident], int]:
    """The institution's incidents, newest discovery first; `agencies`: only those of these agencies; `open_only`:
    those whose notice is still owed; `reported_by`: recorded at or before then."""
    stmt = select(Incident).where(Incident.institution_id == institution_id)
    if agencies is not None:
        stmt = stmt.where(Incident.agency_id.in_(agencies))
    if kind is not None:
        stmt = stmt.where(Incident.kind == kind)
    if open_only:  # the notice its deadline asks for not given yet: a major risk not reported to the SRO, an
        # agency's pi_breach not told to the institution
        stmt = stmt.where(or_(and_(Incident.kind == "major_risk", Incident.status != "reported"),
                              and_(Incident.kind == "pi_breach", Incident.agency_id.is_not(None),
                                   Incident.status == "open")))
    if reported_by is not None:
        stmt = stmt.where(Incident.reported_at <= reported_by)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    stmt = stmt.order_by(Incident.discovered_at.desc(), Incident.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.execute(stmt).scalars()), total


def notifications(session: Session, incident_ids: Sequence[str]) -> dict[str, list[IncidentNotification]]:
    """Each incident's notices in the order they were given."""
    out: dict[str, list[IncidentNotification]] = {i: [] for i in incident_ids}
    for chunk in (list(incident_ids)[i:i + 500] for i in range(0, len(incident_ids), 500)):
        for row in session.execute(select(IncidentNotification).where(
                IncidentNotification.incident_id.in_(chunk)).order_by(IncidentNotification.incident_id,
                                                                      IncidentNotification.n)).scalars():
            out[row.incident_id].append(row)
    return out


def next_n(session: Session, incident_id: str) -> int:
    return int(session.execute(select(func.coalesce(func.max(IncidentNotification.n), 0)).where(
        IncidentNotification.incident_id == incident_id)).scalar_one()) + 1

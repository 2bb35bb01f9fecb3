"""Which collectors a caller may see and act for (art. 19(五), 20(三)): an institution sees its in-house collectors
and the people of the agencies it works with; an agency's operator, its own agency's and its subcontractors'.
Anything else is not found, as if it did not exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.agencies.models import Agency
from collectguard.auth.roles import Principal
from collectguard.collectors.models import Collector, CollectorAcceptance, Training
from collectguard.errors import Forbidden, NotFound
from collectguard.registry import tenancy
from collectguard.registry.repository import page_of


def visible_filter(session: Session, p: Principal) -> ColumnElement[bool]:
    if p.agency_id is not None:
        return Collector.org_id.in_(agencies.family(session, p.agency_id))
    works_with = select(Agency.id).where(agencies.works_with(p))
    return or_(Collector.org_id == p.institution_id, Collector.org_id.in_(works_with))


def visible(session: Session, p: Principal, collector_id: str) -> Collector:
    row = session.execute(select(Collector).where(Collector.id == collector_id,
                                                  visible_filter(session, p))).scalar()
    if row is None:
        raise NotFound("collector", collector_id, field="collector")
    return row


def collectors(session: Session, p: Principal, limit: int, offset: int, *, org: str | None = None,
               kind: str | None = None, status: str | None = None) -> tuple[Sequence[Collector], int]:
    stmt = select(Collector).where(visible_filter(session, p))
    if org is not None:
        stmt = stmt.where(Collector.org_id == org)
    if kind is not None:
        stmt = stmt.where(Collector.kind == kind)
    if status is not None:
        stmt = stmt.where(Collector.status == status)
    return page_of(session, stmt, [Collector.id], limit, offset)


def trainings(session: Session, p: Principal, collector_id: str) -> Sequence[Training]:
    """The trainings the collector's organisation recorded, and those the caller itself recognised — never
    another institution's."""
    mine: ColumnElement[bool] = Training.institution_id.is_(None)
    if p.institution_id:
        mine = or_(mine, Training.institution_id == p.institution_id)
    return session.execute(select(Training).where(Training.collector_id == collector_id, mine)
                           .order_by(Training.day, Training.id)).scalars().all()


def acceptance(session: Session, institution_id: str, collector_id: str) -> CollectorAcceptance | None:
    return session.get(CollectorAcceptance, (institution_id, collector_id))


def recognised_training(session: Session, institution_id: str, collector_id: str) -> date | None:
    """The latest training of the collector that this institution recognised itself."""
    return session.execute(select(func.max(Training.day)).where(
        Training.collector_id == collector_id, Training.institution_id == institution_id)).scalar()


def own_staff(session: Session, p: Principal, org: str) -> None:
    """Only a collector's own organisation writes its shared record: the institution for its in-house people,
    the agency (its own `agency_admin` key) for the agency's. An institution only accepts, suspends for itself
    or recognises trainings of an agency's people (POST /v1/collector-status, /v1/trainings). An organisation
    the caller does not work with is not found, as if it did not exist."""
    own = p.agency_id if p.is_agency_admin else p.institution_id
    if org != own:
        if p.is_agency_admin or not session.execute(select(tenancy.works_with(p.institution_id, org))).scalar():
            raise NotFound("organisation", org, field="org")
        raise Forbidden("催收机构的人员记录只能由该机构自己维护（或平台管理员）",
                        "an organisation's people are changed only by that organisation (its own key) or the "
                        "platform; an institution records its own acceptance instead", field="org")


def agencys_own(session: Session, p: Principal, collector_id: str) -> Collector:
    """A collector of the caller's own agency (its `agency_admin` key); anyone else's is not found."""
    row = session.get(Collector, collector_id)
    if row is None or row.org_id != p.agency_id:
        raise NotFound("collector", collector_id, field="collector")
    return row


def usable(session: Session, p: Principal, collector_id: str) -> Collector:
    """A collector the caller may act for: an agency-bound caller only for its own (or its subcontractors')
    collectors; an institution for its own and those of the agencies it works with."""
    row = session.get(Collector, collector_id)
    if row is None:
        raise NotFound("collector", collector_id, field="collector")
    if p.agency_id is not None and row.org_id not in agencies.family(session, p.agency_id):
        raise Forbidden("不能代表其他机构的催收人员", "cannot act for another organisation's collector", field="collector")
    if p.agency_id is None and row.org_id != p.institution_id and not session.execute(
            select(tenancy.works_with(p.institution_id, row.org_id))).scalar():
        raise NotFound("collector", collector_id, field="collector")  # another tenant's agency: as if unknown
    return row

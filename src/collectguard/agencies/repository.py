"""Which agencies, approvals and agreements a caller may see (art. 19(五)): an institution sees the agencies it works
with — listed (any status), under an agreement, approved as subcontractors, the subcontractors of those it lists, and
those it registered itself; an agency's operator sees its own agency and its subcontractors. Anything else is not
found, as if it did not exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency, AgencyListing, Agreement, SubcontractorApproval
from collectguard.auth.roles import Principal
from collectguard.errors import NotFound
from collectguard.registry.repository import page_of, tenant_row
from collectguard.rulebook.vocabulary import ListingStatus


def family(session: Session, agency_id: str) -> set[str]:
    """The agency and its subcontractors (an operator of the parent sees its subcontractors' work)."""
    subs = session.execute(select(Agency.id).where(Agency.parent_id == agency_id)).scalars()
    return {agency_id, *subs}


def entrusted(session: Session, p: Principal) -> str:
    """The agency a debt is placed with for this caller: a subcontractor works for its parent's placements."""
    assert p.agency_id is not None
    agency = session.get(Agency, p.agency_id)
    return agency.parent_id if agency is not None and agency.parent_id else p.agency_id


def works_with(p: Principal) -> ColumnElement[bool]:
    """The agencies an institution works with: listed (any status), under an agreement, approved subcontractors,
    the subcontractors of those it lists, and those it registered."""
    listed = select(AgencyListing.agency_id).where(AgencyListing.institution_id == p.institution_id)
    agreed = select(Agreement.agency_id).where(Agreement.institution_id == p.institution_id)
    approved = select(SubcontractorApproval.agency_id).where(SubcontractorApproval.institution_id == p.institution_id)
    subs = select(Agency.id).where(Agency.parent_id.in_(listed))
    return or_(Agency.id.in_(listed), Agency.id.in_(agreed), Agency.id.in_(approved), Agency.id.in_(subs),
               Agency.registered_by == p.institution_id)


def visible_filter(session: Session, p: Principal) -> ColumnElement[bool]:
    if p.agency_id is not None:
        return Agency.id.in_(family(session, p.agency_id))
    return works_with(p)


def visible(session: Session, p: Principal, agency_id: str, field: str = "agency") -> Agency:
    row = session.execute(select(Agency).where(Agency.id == agency_id, visible_filter(session, p))).scalar()
    if row is None:
        raise NotFound("agency", agency_id, field=field)
    return row


def org_visible(session: Session, p: Principal, org: str | None, field: str = "org") -> None:
    """An organisation the caller may name: itself, or an agency it may see."""
    if org is None or org == p.institution_id:
        return
    visible(session, p, org, field=field)


def listing(session: Session, institution_id: str, agency_id: str) -> AgencyListing | None:
    return session.get(AgencyListing, (institution_id, agency_id))


def approved(session: Session, institution_id: str, agency_id: str) -> bool:
    return session.get(SubcontractorApproval, (institution_id, agency_id)) is not None


def agencies(session: Session, p: Principal, limit: int, offset: int, *, status: ListingStatus | None = None,
             parent: str | None = None) -> tuple[Sequence[Agency], int]:
    stmt = select(Agency).where(visible_filter(session, p))
    if status is not None:
        stmt = stmt.where(Agency.id.in_(select(AgencyListing.agency_id).where(
            AgencyListing.institution_id == p.institution_id, AgencyListing.status == status)))
    if parent is not None:
        stmt = stmt.where(Agency.parent_id == parent)
    return page_of(session, stmt, [Agency.id], limit, offset)


def approval(session: Session, p: Principal, agency_id: str) -> SubcontractorApproval:
    row = session.get(SubcontractorApproval, (p.institution_id, agency_id))
    if row is None:
        raise NotFound("subcontractor approval", agency_id, field="agency_id")
    return row


def approvals(session: Session, p: Principal, limit: int, offset: int) -> tuple[Sequence[SubcontractorApproval], int]:
    stmt = select(SubcontractorApproval).where(SubcontractorApproval.institution_id == p.institution_id)
    return page_of(session, stmt, [SubcontractorApproval.agency_id], limit, offset)


def agreement(session: Session, p: Principal, agreement_id: str) -> Agreement:
    row: Agreement = tenant_row(session, Agreement, agreement_id, p, "agreement")
    return row


def agreements(session: Session, p: Principal, limit: int, offset: int, *, agency: str | None = None,
               active_on: date | None = None) -> tuple[Sequence[Agreement], int]:
    stmt: Select[Any] = select(Agreement).where(Agreement.institution_id == p.institution_id)
    if agency is not None:
        stmt = stmt.where(Agreement.agency_id == agency)
    if active_on is not None:
        stmt = stmt.where(Agreement.valid_from <= active_on, Agreement.valid_to >= active_on)
    return page_of(session, stmt, [Agreement.id], limit, offset)


def exists(session: Session, agency_id: str) -> bool:
    return session.get(Agency, agency_id) is not None

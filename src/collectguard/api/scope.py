"""Tenant and agency scoping. Anything outside the caller's institution (or, for an agency, outside what
is placed with it now) is reported as not found, so nothing leaks that it exists (art. 19(五), 20(三))."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from collectguard.auth.roles import Principal
from collectguard.auth.service import Forbidden
from collectguard.errors import NotFound
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.rulebook.calendar import local_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def agency_family(session: Session, agency_id: str) -> set[str]:
    """The agency and its subcontractors (an operator of the parent sees its subcontractors' work)."""
    subs = session.execute(select(m.Agency.id).where(m.Agency.parent_id == agency_id)).scalars()
    return {agency_id, *subs}


def placed_with_now(session: Session, debt: m.Debt, agency_id: str, at: datetime) -> bool:
    debtor = session.get(m.Debtor, debt.debtor_id)
    today = local_date(at, ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai"))
    return session.execute(
        select(
            exists().where(
                m.Placement.debt_id == debt.id, m.Placement.agency_id == agency_id,
                m.Placement.valid_from <= today, m.Placement.valid_to >= today,
            )
        )
    ).scalar_one()


def debt(session: Session, p: Principal, debt_id: str, at: datetime, *, field: str = "debt") -> m.Debt:
    row = session.get(m.Debt, debt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("debt", debt_id, field=field)
    if p.agency_id is not None:
        if not placed_with_now(session, row, entrusted_agency(session, p), at):
            raise NotFound("debt", debt_id, field=field)
    return row


def entrusted_agency(session: Session, p: Principal) -> str:
    """The agency a debt is placed with for this caller: a subcontractor works for its parent's placements."""
    assert p.agency_id is not None
    agency = session.get(m.Agency, p.agency_id)
    return agency.parent_id if agency is not None and agency.parent_id else p.agency_id


def placed_now(session: Session, p: Principal, at: datetime) -> list[str]:
    """Ids of the caller's institution's debts placed with the caller's agency today (debtor's local day).

    Candidates come from SQL with a day's margin either side; each is then checked exactly in the
    debtor's time zone, the same test the gate's scope uses."""
    entrusted = entrusted_agency(session, p)
    today = local_date(at, SHANGHAI)
    candidates = session.execute(
        select(m.Debt).join(m.Placement, m.Placement.debt_id == m.Debt.id).where(
            m.Debt.institution_id == p.institution_id, m.Placement.agency_id == entrusted,
            m.Placement.valid_from <= today + timedelta(days=1), m.Placement.valid_to >= today - timedelta(days=1),
        )
    ).scalars().unique().all()
    return [d.id for d in candidates if placed_with_now(session, d, entrusted, at)]


def debt_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    own = m.Debt.institution_id == p.institution_id
    if p.agency_id is not None:
        return own & m.Debt.id.in_(placed_now(session, p, at))
    return own


def debtor_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    if p.agency_id is not None:  # debtors of the debts placed now; never guarantors (art. 20(三))
        return m.Debtor.id.in_(select(m.Debt.debtor_id).where(m.Debt.id.in_(placed_now(session, p, at))))
    debts = select(m.Debt.id).where(m.Debt.institution_id == p.institution_id)
    return or_(
        m.Debtor.institution_id == p.institution_id,
        m.Debtor.id.in_(select(m.Debt.debtor_id).where(m.Debt.institution_id == p.institution_id)),
        m.Debtor.id.in_(select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id.in_(debts))),
    )


def debtor_visible(session: Session, p: Principal, debtor_id: str, at: datetime, field: str = "debtor") -> m.Debtor:
    row = session.execute(select(m.Debtor).where(m.Debtor.id == debtor_id, debtor_filter(session, p, at))).scalar()
    if row is None:
        raise NotFound("debtor", debtor_id, field=field)
    return row


def contact_visible(session: Session, p: Principal, contact_id: str, at: datetime) -> m.Contact:
    row = session.get(m.Contact, contact_id)
    if row is None:
        raise NotFound("contact", contact_id, field="contact")
    try:
        debtor_visible(session, p, row.debtor_id, at)
    except NotFound:
        raise NotFound("contact", contact_id, field="contact") from None
    return row


def attempt_party(session: Session, p: Principal, debt: m.Debt, party_id: str, at: datetime) -> None:
    """The party of an attempt: the debt's borrower, a guarantor or a contact of either always passes (the
    rulebook judges it); another person the caller may see passes too (art. 7 will deny); anyone else is
    not found, so whether the id exists in another tenant is never revealed."""
    liable = {debt.debtor_id, *session.execute(
        select(m.DebtGuarantor.debtor_id).where(m.DebtGuarantor.debt_id == debt.id)).scalars()}
    contact = session.get(m.Contact, party_id)
    if party_id in liable or (contact is not None and contact.debtor_id in liable):
        return
    try:
        if contact is not None:
            contact_visible(session, p, party_id, at)
        else:
            debtor_visible(session, p, party_id, at)
    except NotFound:
        raise NotFound("party", party_id, field="party") from None


def collector_usable(session: Session, p: Principal, collector_id: str) -> m.Collector:
    """An agency-bound caller may act only for its own (or its subcontractors') collectors."""
    row = session.get(m.Collector, collector_id)
    if row is None:
        raise NotFound("collector", collector_id, field="collector")
    if p.agency_id is not None and row.org_id not in agency_family(session, p.agency_id):
        raise Forbidden("不能代表其他机构的催收人员", "cannot act for another organisation's collector", field="collector")
    if p.agency_id is None and row.org_id != p.institution_id and session.get(m.Agency, row.org_id) is None:
        raise NotFound("collector", collector_id, field="collector")
    return row


def attempt(session: Session, p: Principal, attempt_id: str) -> AttemptRow:
    row = session.get(AttemptRow, attempt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("attempt", attempt_id, field="attempt")
    if p.agency_id is not None:
        collector = session.get(m.Collector, row.collector_id)
        if collector is None or collector.org_id not in agency_family(session, p.agency_id):
            raise NotFound("attempt", attempt_id, field="attempt")
    return row

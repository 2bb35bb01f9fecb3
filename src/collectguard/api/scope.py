"""Tenant and agency scoping. Anything outside the caller's institution (or, for an agency, outside what
is placed with it now) is reported as not found, so nothing leaks that it exists (art. 19(五), 20(三))."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from collectguard.auth.roles import Principal
from collectguard.auth.service import Forbidden
from collectguard.errors import NotFound
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.rulebook.calendar import local_date


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
        parent = session.get(m.Agency, p.agency_id)
        entrusted = parent.parent_id if parent and parent.parent_id else p.agency_id
        if not placed_with_now(session, row, entrusted, at):
            raise NotFound("debt", debt_id, field=field)
    return row


def debtor_visible(session: Session, p: Principal, debtor_id: str) -> m.Debtor:
    row = session.get(m.Debtor, debtor_id)
    if row is None:
        raise NotFound("debtor", debtor_id, field="debtor")
    if row.institution_id == p.institution_id and p.agency_id is None:
        return row
    related = session.execute(
        select(
            exists().where(
                m.Debt.institution_id == p.institution_id,
                or_(m.Debt.debtor_id == debtor_id,
                    m.Debt.id.in_(select(m.DebtGuarantor.debt_id).where(m.DebtGuarantor.debtor_id == debtor_id))),
            )
        )
    ).scalar_one()
    if not related:
        raise NotFound("debtor", debtor_id, field="debtor")
    return row


def contact_visible(session: Session, p: Principal, contact_id: str) -> m.Contact:
    row = session.get(m.Contact, contact_id)
    if row is None:
        raise NotFound("contact", contact_id, field="contact")
    debtor_visible(session, p, row.debtor_id)
    return row


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

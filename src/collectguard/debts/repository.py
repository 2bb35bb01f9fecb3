"""Which debtors, contacts, debts, placements and debtor agreements a caller may see (art. 19(五), 20(三)).

An institution sees its own debts, the debtors who owe or guarantee them (and debtors it registered), their
contacts, its placements and what its debtors agreed with it. An agency's operator sees only the debts placed
with its agency today (the debtor's local day), their debtors (never guarantors) and contacts, and its own current
placements. Anything else is not found, as if it did not exist, so nothing leaks that it exists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.auth.roles import Principal
from collectguard.debts.models import Contact, Debt, DebtGuarantor, Debtor, DebtorAgreement, Placement
from collectguard.errors import NotFound
from collectguard.registry.repository import page_of, tenant_row
from collectguard.rulebook.calendar import local_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- debts ------------------------------------------------------------------------------------------
def placed_with_now(session: Session, debt: Debt, agency_id: str, at: datetime) -> bool:
    """The debt is placed with the agency today, the debtor's local day."""
    debtor = session.get(Debtor, debt.debtor_id)
    today = local_date(at, ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai"))
    return session.execute(
        select(
            exists().where(
                Placement.debt_id == debt.id, Placement.agency_id == agency_id,
                Placement.valid_from <= today, Placement.valid_to >= today,
            )
        )
    ).scalar_one()


def debt(session: Session, p: Principal, debt_id: str, at: datetime, *, field: str = "debt") -> Debt:
    row = session.get(Debt, debt_id)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound("debt", debt_id, field=field)
    if p.agency_id is not None:
        if not placed_with_now(session, row, agencies.entrusted(session, p), at):
            raise NotFound("debt", debt_id, field=field)
    return row


def placed_now(session: Session, p: Principal, at: datetime) -> list[str]:
    """Ids of the caller's institution's debts placed with the caller's agency today (debtor's local day).

    Candidates come from SQL with a day's margin either side; each is then checked exactly in the
    debtor's time zone, the same test the gate's scope uses."""
    entrusted = agencies.entrusted(session, p)
    today = local_date(at, SHANGHAI)
    candidates = session.execute(
        select(Debt).join(Placement, Placement.debt_id == Debt.id).where(
            Debt.institution_id == p.institution_id, Placement.agency_id == entrusted,
            Placement.valid_from <= today + timedelta(days=1), Placement.valid_to >= today - timedelta(days=1),
        )
    ).scalars().unique().all()
    return [d.id for d in candidates if placed_with_now(session, d, entrusted, at)]


def debt_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    own = Debt.institution_id == p.institution_id
    if p.agency_id is not None:
        return own & Debt.id.in_(placed_now(session, p, at))
    return own


def debts(session: Session, p: Principal, at: datetime, limit: int, offset: int, *, debtor: str | None = None,
          status: str | None = None, product: str | None = None) -> tuple[Sequence[Debt], int]:
    stmt = select(Debt).where(debt_filter(session, p, at))
    if debtor is not None:
        stmt = stmt.where(Debt.debtor_id == debtor)
    if status is not None:
        stmt = stmt.where(Debt.status == status)
    if product is not None:
        stmt = stmt.where(Debt.product == product)
    return page_of(session, stmt, [Debt.id], limit, offset)


def own_debt(session: Session, p: Principal, debt_id: str) -> Debt:
    """The caller's institution's debt, to change it."""
    row: Debt = tenant_row(session, Debt, debt_id, p, "debt")
    return row


def guarantors(session: Session, debt_id: str) -> list[str]:
    return list(session.execute(select(DebtGuarantor.debtor_id).where(DebtGuarantor.debt_id == debt_id)
                                .order_by(DebtGuarantor.debtor_id)).scalars())


# -- debtors and contacts ---------------------------------------------------------------------------
def debtor_filter(session: Session, p: Principal, at: datetime) -> ColumnElement[bool]:
    if p.agency_id is not None:  # debtors of the debts placed now; never guarantors (art. 20(三))
        return Debtor.id.in_(select(Debt.debtor_id).where(Debt.id.in_(placed_now(session, p, at))))
    own_debts = select(Debt.id).where(Debt.institution_id == p.institution_id)
    return or_(
        Debtor.institution_id == p.institution_id,
        Debtor.id.in_(select(Debt.debtor_id).where(Debt.institution_id == p.institution_id)),
        Debtor.id.in_(select(DebtGuarantor.debtor_id).where(DebtGuarantor.debt_id.in_(own_debts))),
    )


def debtor_visible(session: Session, p: Principal, debtor_id: str, at: datetime, field: str = "debtor") -> Debtor:
    row = session.execute(select(Debtor).where(Debtor.id == debtor_id, debtor_filter(session, p, at))).scalar()
    if row is None:
        raise NotFound("debtor", debtor_id, field=field)
    return row


def debtors(session: Session, p: Principal, at: datetime, limit: int, offset: int, *,
            status: str | None = None) -> tuple[Sequence[Debtor], int]:
    stmt = select(Debtor).where(debtor_filter(session, p, at))
    if status is not None:
        stmt = stmt.where(Debtor.status == status)
    return page_of(session, stmt, [Debtor.id], limit, offset)


def contact_visible(session: Session, p: Principal, contact_id: str, at: datetime) -> Contact:
    row = session.get(Contact, contact_id)
    if row is None:
        raise NotFound("contact", contact_id, field="contact")
    try:
        debtor_visible(session, p, row.debtor_id, at)
    except NotFound:
        raise NotFound("contact", contact_id, field="contact") from None
    return row


def contacts(session: Session, p: Principal, at: datetime, limit: int, offset: int, *,
             debtor: str | None = None) -> tuple[Sequence[Contact], int]:
    visible = select(Debtor.id).where(debtor_filter(session, p, at))
    stmt = select(Contact).where(Contact.debtor_id.in_(visible))
    if debtor is not None:
        stmt = stmt.where(Contact.debtor_id == debtor)
    return page_of(session, stmt, [Contact.id], limit, offset)


def attempt_party(session: Session, p: Principal, debt: Debt, party_id: str, at: datetime) -> None:
    """The party of an attempt: the debt's borrower, a guarantor or a contact of either always passes (the
    rulebook judges it); another person the caller may see passes too (art. 7 will deny); anyone else is
    not found, so whether the id exists in another tenant is never revealed."""
    liable = {debt.debtor_id, *session.execute(
        select(DebtGuarantor.debtor_id).where(DebtGuarantor.debt_id == debt.id)).scalars()}
    contact = session.get(Contact, party_id)
    if party_id in liable or (contact is not None and contact.debtor_id in liable):
        return
    try:
        if contact is not None:
            contact_visible(session, p, party_id, at)
        else:
            debtor_visible(session, p, party_id, at)
    except NotFound:
        raise NotFound("party", party_id, field="party") from None


# -- placements -------------------------------------------------------------------------------------
def placement(session: Session, p: Principal, placement_id: int, at: datetime) -> Placement:
    row = session.get(Placement, placement_id)
    if row is None:
        raise NotFound("placement", str(placement_id), field="placement_id")
    try:
        debt(session, p, row.debt_id, at)
    except NotFound:
        raise NotFound("placement", str(placement_id), field="placement_id") from None
    if p.agency_id is not None and row.agency_id != agencies.entrusted(session, p):
        raise NotFound("placement", str(placement_id), field="placement_id")
    return row


def placements(session: Session, p: Principal, at: datetime, limit: int, offset: int, *, debt: str | None = None,
               agency: str | None = None, active_on: date | None = None) -> tuple[Sequence[Placement], int]:
    own_debts = select(Debt.id).where(debt_filter(session, p, at))
    stmt = select(Placement).where(Placement.debt_id.in_(own_debts))
    if p.agency_id is not None:  # only its own current placements
        today = local_date(at, SHANGHAI)
        stmt = stmt.where(Placement.agency_id == agencies.entrusted(session, p),
                          Placement.valid_from <= today + timedelta(days=1),
                          Placement.valid_to >= today - timedelta(days=1))
    if debt is not None:
        stmt = stmt.where(Placement.debt_id == debt)
    if agency is not None:
        stmt = stmt.where(Placement.agency_id == agency)
    if active_on is not None:
        stmt = stmt.where(Placement.valid_from <= active_on, Placement.valid_to >= active_on)
    return page_of(session, stmt, [Placement.debt_id, Placement.valid_from, Placement.id], limit, offset)


def holder(session: Session, debt: Debt, at: datetime) -> str | None:
    """The agency the debt is placed with today (the debtor's local day), if any."""
    debtor = session.get(Debtor, debt.debtor_id)
    today = local_date(at, ZoneInfo(debtor.timezone if debtor else "Asia/Shanghai"))
    found: str | None = session.execute(select(Placement.agency_id).where(
        Placement.debt_id == debt.id, Placement.valid_from <= today, Placement.valid_to >= today)).scalar_one_or_none()
    return found


def holders(session: Session, institution_id: str, at: datetime, *, debt_id: str | None = None,
            debtor_id: str | None = None) -> list[tuple[str, str]]:
    """(debt, agency) pairs placed today among the institution's debts: the one debt, or every debt of the
    debtor (a hold stops them all)."""
    stmt = select(Debt).where(Debt.institution_id == institution_id)
    stmt = stmt.where(Debt.id == debt_id) if debt_id else stmt.where(Debt.debtor_id == debtor_id)
    out = []
    for row in session.execute(stmt).scalars().all():
        agency = holder(session, row, at)
        if agency:
            out.append((row.id, agency))
    return out


# -- what a debtor agreed with the institution ------------------------------------------------------
def debtor_agreement(session: Session, p: Principal, agreement_id: int) -> DebtorAgreement:
    row: DebtorAgreement = tenant_row(session, DebtorAgreement, agreement_id, p, "debtor agreement")
    return row


def debtor_agreement_of(session: Session, debtor_id: str, institution_id: str) -> int | None:
    """The id of what the debtor already agreed with this institution, if anything (one per pair)."""
    found: Any = session.execute(select(DebtorAgreement.id).where(
        DebtorAgreement.debtor_id == debtor_id, DebtorAgreement.institution_id == institution_id)).scalar()
    return found


def debtor_agreements(session: Session, p: Principal, limit: int, offset: int, *,
                      debtor: str | None = None) -> tuple[Sequence[DebtorAgreement], int]:
    stmt = select(DebtorAgreement).where(DebtorAgreement.institution_id == p.institution_id)
    if debtor is not None:
        stmt = stmt.where(DebtorAgreement.debtor_id == debtor)
    return page_of(session, stmt, [DebtorAgreement.id], limit, offset)

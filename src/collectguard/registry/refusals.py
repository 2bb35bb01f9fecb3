"""Refused numbers: a contact's refusal follows the phone number (art. 8(三), `art8-contact-refused`).

RULES.md: a refusal "blocks every later attempt to that contact, for every debt, from the institution and all
its agencies". The same person is often registered as a contact of several debtors (a colleague, a parent of
two borrowers), each time under another contact id. So a refusal is also remembered by the number's keyed hash
(`phone_index`, HMAC-SM3: no phone number is stored here) for each institution it concerns, and the gate denies
an attempt to any contact with that number for a debt of such an institution.

A row is written with the refusal (the `contact_refused` event), and for contacts registered as already
refused once their debtor's debts are known (a bulk load registers contacts before debts). Rows are never
deleted: a refusal is never undone (art. 8(三) "不得再联系").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from collectguard.db.base import Base, Id
from collectguard.registry import models as m
from collectguard.registry import tenancy


class RefusedNumber(Base):
    """A phone number (its keyed hash) that refused further contact, per institution it concerns."""

    __tablename__ = "refused_numbers"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    contact_id: Mapped[str] = mapped_column(Id, ForeignKey("contacts.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column()


# The gate reads, for a batch, which of its contact parties' numbers are refused for which institution.
REFUSED = select(RefusedNumber.institution_id, RefusedNumber.phone_index) \
    .where(RefusedNumber.phone_index.in_(bindparam("ids", expanding=True))).distinct()


def refused_for(session: Session, phone_indexes: Iterable[str | None]) -> set[tuple[str, str]]:
    """(institution, phone index) pairs refused among these numbers."""
    wanted = sorted({p for p in phone_indexes if p})
    if not wanted:
        return set()
    return {(i, p) for i, p in session.connection().execute(REFUSED, {"ids": wanted})}


def remember(session: Session, contact: m.Contact, institutions: Iterable[str | None], at: datetime) -> list[str]:
    """Remember the contact's number as refused for each institution (none without a number); returns the
    institutions newly recorded."""
    if not contact.phone_index:
        return []
    added = []
    for institution in sorted({i for i in institutions if i}):
        if session.get(RefusedNumber, (institution, contact.phone_index, contact.id)) is None:
            session.add(RefusedNumber(institution_id=institution, phone_index=contact.phone_index,
                                      contact_id=contact.id, at=at))
            added.append(institution)
    return added


def remember_registered(session: Session, contact_ids: Iterable[str], at: datetime) -> None:
    """For contacts registered as already refused (a bulk load, an import): their numbers, for the
    institutions their debtors concern now (the owner, debts owed or guaranteed)."""
    ids = list(contact_ids)
    for start in range(0, len(ids), 500):
        for contact in session.execute(select(m.Contact).where(
                m.Contact.id.in_(ids[start:start + 500]), m.Contact.refused.is_(True),
                m.Contact.phone_index.is_not(None))).scalars():
            remember(session, contact, tenancy.institutions_of_debtor(session, contact.debtor_id), at)

"""ORM rows of debtors, their contacts, debts and guarantors, placements with agencies and what a debtor agreed
with an institution. Personal data is encrypted at rest (registry/personal.py). None of these is cached by the
gate: a decision reads the debtor's own rows, under the debtor's lock."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class Debtor(Base):
    __tablename__ = "debtors"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    # The institution that registered the debtor over the API (tenant owner); None for shared imports.
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    # Personal data, encrypted at rest (SM4-GCM or AES-GCM tokens; see registry/personal.py).
    name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    id_number: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    # Keyed hashes (HMAC-SM3) for exact-match lookups without decrypting.
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    status: Mapped[str] = mapped_column(String(16), default="normal")
    status_reason: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)  # encrypted at rest
    phone: Mapped[str | None] = mapped_column(Text)  # encrypted at rest
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refused_at: Mapped[datetime | None] = mapped_column()
    offers_to_repay: Mapped[bool] = mapped_column(Boolean, default=False)


class Debt(Base):
    __tablename__ = "debts"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    product: Mapped[str] = mapped_column(String(100))
    overdue_amount: Mapped[Decimal | None] = mapped_column()
    overdue_since: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    settled_at: Mapped[datetime | None] = mapped_column()
    repaid_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))


class DebtGuarantor(Base):
    __tablename__ = "debt_guarantors"
    debt_id: Mapped[str] = mapped_column(ForeignKey("debts.id"), primary_key=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), primary_key=True, index=True)


class Placement(Base):
    """A debt entrusted to an agency for a period; periods of one debt never overlap (art. 17(三))."""

    __tablename__ = "placements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    debt_id: Mapped[str] = mapped_column(ForeignKey("debts.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)


class DebtorAgreement(Base):
    __tablename__ = "debtor_agreements"
    __table_args__ = (UniqueConstraint("debtor_id", "institution_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"))
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    voice_cap: Mapped[int | None] = mapped_column(Integer)
    effective_call_cap: Mapped[int | None] = mapped_column(Integer)
    visit_cap: Mapped[int | None] = mapped_column(Integer)
    unreachable: Mapped[dict[str, Any] | None] = mapped_column(JSON)


Index("ix_placements_debt_period", Placement.debt_id, Placement.valid_from, Placement.valid_to)

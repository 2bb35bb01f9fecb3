"""ORM rows of the registry. Rows are storage; the rulebook sees immutable facts built from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class Institution(Base):
    __tablename__ = "institutions"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(40), default="nifa-2024")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    # The institution that registered the agency over the API (it sees the record before any agreement).
    registered_by: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"))


class AgencyListing(Base):
    """An agency's entry on an institution's name list (art. 17(二)) — status changes by events."""

    __tablename__ = "agency_listings"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime | None] = mapped_column()


class SubcontractorApproval(Base):
    """An institution's advance approval of a subcontractor (art. 17(四))."""

    __tablename__ = "subcontractor_approvals"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)


class Agreement(Base):
    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    subcontracting: Mapped[bool] = mapped_column(Boolean, default=False)


class Collector(Base):
    __tablename__ = "collectors"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    org_id: Mapped[str] = mapped_column(Id, index=True)  # an institution or an agency
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    pre_job_exam: Mapped[date | None] = mapped_column(Date)
    pledge_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_training: Mapped[date | None] = mapped_column(Date)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)


class Training(Base):
    """Each training and exam a collector passed (art. 6(二)5).

    `institution_id` is None for a training recorded by the collector's own organisation (the agency itself,
    or the institution for its in-house collector): a shared fact every institution sees. A training recorded by
    an institution for another organisation's collector is that institution's recognition only; no other
    institution's gate counts it (art. 19(五))."""

    __tablename__ = "trainings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collector_id: Mapped[str] = mapped_column(ForeignKey("collectors.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)


class CollectorAcceptance(Base):
    """One institution's own acceptance of another organisation's collector: `suspended` stops that collector on
    this institution's debts only; the collector's shared record is the agency's to change (art. 6, 19(五))."""

    __tablename__ = "collector_acceptances"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    collector_id: Mapped[str] = mapped_column(ForeignKey("collectors.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column()


class ExternalRef(Base):
    """A tenant's own reference for an object whose id the server made (a loan number, a CRM id). References are
    unique per institution and kind, so one tenant's reference never collides with, or reveals, another's."""

    __tablename__ = "external_refs"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[str] = mapped_column(Id, index=True)


class Tool(Base):
    __tablename__ = "tools"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    filed: Mapped[bool] = mapped_column(Boolean, default=False)
    org_id: Mapped[str | None] = mapped_column(Id)
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)


class Template(Base):
    __tablename__ = "templates"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)


class TemplateVersion(Base):
    """Every edit of a template is a new version that needs approval (art. 15(一))."""

    __tablename__ = "template_versions"
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / approved / rejected


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


class RegistryState(Base):
    """One row: a version bumped by every change to what the gate caches (institutions, agencies, their
    listings, approvals and agreements, collectors, tools, templates). Gate processes compare it before
    each decision and reload their snapshot when it moved — correct across processes and servers."""

    __tablename__ = "registry_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)

"""ORM rows of retention (arts. 12, 20(四), 21(三)): each institution's retention period, the purge runs, the
deletion log, and agencies' requests to destroy their copies at the end of an agreement. None of them holds
personal data: subjects are named by their pseudonymous ids only. Rows are never deleted; each change was
recorded in the ledger (`ledger_seq`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class RetentionPolicy(Base):
    """How long an institution keeps the personal data of a debtor once all of his debts are closed (≥ 2 years,
    art. 12(一)(二) `art12-retention`). An institution without a row keeps it DEFAULT_YEARS (service.py)."""

    __tablename__ = "retention_policies"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    years: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column()
    set_by: Mapped[str | None] = mapped_column(String(200))
    ledger_seq: Mapped[int] = mapped_column(Integer)


class RetentionRun(Base):
    """One purge of an institution's debtors past retention (`collectguard retention run`, POST
    /v1/retention/runs): when, approved by whom, how many debtors and deletion-log entries."""

    __tablename__ = "retention_runs"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    at: Mapped[datetime] = mapped_column()  # the instant retention was counted to
    approved_by: Mapped[str] = mapped_column(String(200))
    years: Mapped[int] = mapped_column(Integer)
    debtors: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    ledger_seq: Mapped[int] = mapped_column(Integer)


class DeletionLogEntry(Base):
    """One deletion (art. 20(四), 21(三) `art20-deletion-log`): what kinds of personal data of which subject (a
    pseudonymous id: a debtor, a contact, a complaint, or an agency's copies), when, why, approved by whom."""

    __tablename__ = "deletion_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    subject_kind: Mapped[str] = mapped_column(String(16))  # debtor, contact, complaint, agency-copy
    subject_id: Mapped[str] = mapped_column(Id, index=True)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # name, phone, id_number, address, transcript, …
    at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(32))  # retention_expired, agreement_ended
    approved_by: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str | None] = mapped_column(Id)
    request_id: Mapped[str | None] = mapped_column(Id)
    ledger_seq: Mapped[int] = mapped_column(Integer)


# The console's and the API's log: an institution's entries, newest first, by kind and reason.
Index("ix_deletion_log_institution_at", DeletionLogEntry.institution_id, DeletionLogEntry.at)


class DestructionRequest(Base):
    """An agency's request to destroy its copies of an institution's debtor and contact data once their agreement
    has ended (art. 20(四)); the institution approves (the agency's access to the institution ends) or refuses."""

    __tablename__ = "destruction_requests"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"))
    status: Mapped[str] = mapped_column(String(16))  # requested, approved, refused
    requested_at: Mapped[datetime] = mapped_column()
    requested_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    ledger_seq: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_seq: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # keys revoked, users deactivated, placements ended

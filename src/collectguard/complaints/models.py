"""ORM rows of complaints (arts. 22, 23, 27): one row per complaint with its workflow state (registered →
verified → investigating → resolved), the answer's deadline in the institution's local days, and a timeline of
its steps. Personal data of the complainant (name, phone, e-mail, a payment account named, what they said, the
proxy's name) is encrypted at rest (`privacy.crypto`, context `complaints.<field>`) with keyed hashes beside the
phone, e-mail, account and proxy name for exact matching (the anti-collection signals); `erase_personal` clears
them when the debtor's records are purged. Rows are never deleted; each step was recorded in the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    channel: Mapped[str] = mapped_column(String(16))  # phone, email, letter, web, regulator
    debtor_id: Mapped[str | None] = mapped_column(ForeignKey("debtors.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    collector_id: Mapped[str | None] = mapped_column(ForeignKey("collectors.id"))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    received_at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column(Date)  # the registration's local date (institution's zone)
    due_date: Mapped[date] = mapped_column(Date)  # day + complaint_days
    extended_due_date: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # A complaint about an agency (or its collector) is handled by the institution itself (art. 22).
    handled_by_institution: Mapped[bool] = mapped_column(Boolean, default=False)
    investigator: Mapped[str | None] = mapped_column(Id)  # a staff or collector id
    investigator_kind: Mapped[str | None] = mapped_column(String(16))  # staff | collector
    assigned_at: Mapped[datetime | None] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    # 代理投诉: the proxy's name (encrypted) and keyed hash; without a valid authorisation → proxy_warning.
    proxy_name: Mapped[str | None] = mapped_column(Text)
    proxy_key: Mapped[str | None] = mapped_column(String(64), index=True)
    proxy_authorised: Mapped[bool | None] = mapped_column(Boolean)
    proxy_warning: Mapped[bool] = mapped_column(Boolean, default=False)
    # The complainant's personal data, encrypted at rest; keyed hashes for exact matching.
    complainant_name: Mapped[str | None] = mapped_column(Text)
    complainant_phone: Mapped[str | None] = mapped_column(Text)
    complainant_email: Mapped[str | None] = mapped_column(Text)
    payment_account: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
    email_key: Mapped[str | None] = mapped_column(String(64), index=True)
    account_key: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    root_cause_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    result: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_day: Mapped[date | None] = mapped_column(Date)
    erased_at: Mapped[datetime | None] = mapped_column()  # when its personal data was purged
    ledger_seq: Mapped[int] = mapped_column(Integer)


class ComplaintStep(Base):
    """One step of a complaint's timeline (registered, proxy_warned, verified, extended, assigned, resolved, …),
    with what the console shows beside it (no personal data) and the ledger record it was written as."""

    __tablename__ = "complaint_steps"
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, … within the complaint
    step: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column(Date)
    actor: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ledger_seq: Mapped[int] = mapped_column(Integer)


Index("ix_complaints_institution_day", Complaint.institution_id, Complaint.day)
Index("ix_complaints_agency_day", Complaint.agency_id, Complaint.day)
Index("ix_complaints_collector_day", Complaint.collector_id, Complaint.day)
Index("ix_complaints_institution_status", Complaint.institution_id, Complaint.status)
Index("ix_complaints_institution_due", Complaint.institution_id, Complaint.due_date)

"""ORM rows of oversight over time: the people who inspect and evaluate, agencies' evaluations and written
commitments (art. 17), inspections and their findings (art. 12(二)), rectification orders (art. 18(三)) and the
evidence files they cite, stored by hash. Rows are never deleted; each was recorded in the ledger (`ledger_seq`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class Staff(Base):
    """A person of an institution or an agency who evaluates, inspects, investigates or reports."""

    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    org_id: Mapped[str] = mapped_column(Id, index=True)  # an institution or an agency
    role: Mapped[str | None] = mapped_column(String(32))  # compliance, collection, management
    name: Mapped[str | None] = mapped_column(String(200))


class AgencyEvaluation(Base):
    """An evaluation of an agency by an institution: admission on the nine criteria of art. 17(一), annual or
    before an agreement expires on the five of art. 18(二); the evaluator's scores beside the suggested ones."""

    __tablename__ = "agency_evaluations"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    passed: Mapped[bool] = mapped_column(Boolean)
    evaluator: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    suggested: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column(Date)  # in the institution's zone
    ledger_seq: Mapped[int] = mapped_column(Integer)


class AgencyCommitment(Base):
    """One of the three written commitments of art. 17(二) an agency gave an institution (the latest one)."""

    __tablename__ = "agency_commitments"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_hash: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column()
    ledger_seq: Mapped[int] = mapped_column(Integer)


class Inspection(Base):
    """A self-inspection, or a scheduled or surprise inspection of an agency (art. 12(二)); its sample is drawn
    again from `seed` by anyone (oversight/sampling.py)."""

    __tablename__ = "inspections"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    org_id: Mapped[str] = mapped_column(Id, index=True)
    inspector: Mapped[str | None] = mapped_column(String(200))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    seed: Mapped[str | None] = mapped_column(String(64))
    sample_size: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column(Date)
    ledger_seq: Mapped[int] = mapped_column(Integer)


class InspectionFinding(Base):
    __tablename__ = "inspection_findings"
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, … within the inspection
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(Id)  # the rectification order it opened


class RectificationOrder(Base):
    """An order to an agency to rectify by `due` (art. 18(三)); with `stop_collection` the agency's collection for
    the institution pauses until it is done."""

    __tablename__ = "rectification_orders"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    due: Mapped[date] = mapped_column(Date)
    stop_collection: Mapped[bool] = mapped_column(Boolean, default=False)
    inspection_id: Mapped[str | None] = mapped_column(ForeignKey("inspections.id"))
    finding_n: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column()
    ledger_seq: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None] = mapped_column()
    done_day: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str | None] = mapped_column(Text)
    done_seq: Mapped[int | None] = mapped_column(Integer)


class EvidenceFile(Base):
    """A file an evaluation, commitment or inspection cites, stored once by its hash (`sm3:<hex>` or
    `sha256:<hex>`); an institution reads only the files it stored."""

    __tablename__ = "evidence_files"
    hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column()

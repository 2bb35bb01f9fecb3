"""ORM rows of the anti-collection signals (art. 27): each examined complaint's keyed MinHash signature and its LSH
band keys (never its text: the text stays encrypted in `complaints`, the signature is keyed and not reversible), and
the flags raised for a person to review. No personal data here: ids, keyed hashes, signatures, phrase ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class ComplaintSignature(Base):
    """What detection keeps of a complaint's text: the keyed MinHash (128 × uint32), how many 3-grams it had, and
    the ids of the trade's phrases found in it. Removed when the complaint's personal data is purged."""

    __tablename__ = "complaint_signatures"
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    shingles: Mapped[int] = mapped_column(Integer, default=0)
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    examined_at: Mapped[datetime] = mapped_column()


class ComplaintTextBand(Base):
    """One LSH band key of a complaint's signature: complaints sharing a band key are near-duplicate candidates
    (the persisted form of datasketch's MinHashLSH; `signal_store.rebuild_bands` rebuilds it from signatures)."""

    __tablename__ = "complaint_text_bands"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    band_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), primary_key=True, index=True)


class ComplaintSignal(Base):
    """A flag on a complaint: which signal, the keyed hash shared (if any), the other complaints that share it, how
    many distinct debtors; open → confirmed / dismissed by a person, with why. Never a rejection."""

    __tablename__ = "complaint_signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    signal: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(64))  # the shared keyed hash (shared_* signals)
    shared_with: Mapped[list[str]] = mapped_column(JSON, default=list)
    debtors: Mapped[int] = mapped_column(Integer, default=1)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # thresholds, similarity, phrase ids
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | confirmed | dismissed
    raised_at: Mapped[datetime] = mapped_column()
    ledger_seq: Mapped[int] = mapped_column(Integer)
    reviewed_by: Mapped[str | None] = mapped_column(Id)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_reason: Mapped[str | None] = mapped_column(Text)
    review_seq: Mapped[int | None] = mapped_column(Integer)


class ComplaintSignalMember(Base):
    """A complaint a flag concerns: the flagged one and each that shares the signal with it. Flags of a complaint and
    clusters (complaints connected by any shared signal) are read along these rows."""

    __tablename__ = "complaint_signal_members"
    signal_id: Mapped[int] = mapped_column(ForeignKey("complaint_signals.id"), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), primary_key=True, index=True)


Index("ix_complaint_signals_institution_status", ComplaintSignal.institution_id, ComplaintSignal.status,
      ComplaintSignal.raised_at)

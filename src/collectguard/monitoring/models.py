"""ORM rows of monitoring: each institution's thresholds, the flags raised against its collectors, and its
performance scheme (every accepted version kept)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class MonitoringThresholds(Base):
    """An institution's daily limits per collector; a limit left empty is not watched. A flag is raised when a
    collector's figure for a day is above its limit (a limit of 0: any at all)."""

    __tablename__ = "monitoring_thresholds"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    max_denials_per_day: Mapped[int | None] = mapped_column(Integer)
    max_after_deny_per_day: Mapped[int | None] = mapped_column(Integer)
    max_against_deny_per_day: Mapped[int | None] = mapped_column(Integer)
    max_qa_findings_per_day: Mapped[int | None] = mapped_column(Integer)
    auto_suspend: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column()


class CollectorFlag(Base):
    """A threshold a collector exceeded on a day, with the evidence (attempt ids, or QA finding ids). One per
    (institution, collector, day, metric): running the same day again raises no second one."""

    __tablename__ = "collector_flags"
    __table_args__ = (UniqueConstraint("institution_id", "collector_id", "day", "metric"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    collector_id: Mapped[str] = mapped_column(Id, index=True)
    agency_id: Mapped[str | None] = mapped_column(Id, index=True)  # None: the institution's own collector
    day: Mapped[date] = mapped_column(Date, index=True)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(String(2000))
    raised_at: Mapped[datetime] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column()


class PerformanceScheme(Base):
    """One accepted version of an institution's performance scheme: the weights (percent, as decimal text) of
    each criterion, for the collectors' and for the agencies' assessment (art. 6(二)6, 18(二))."""

    __tablename__ = "performance_schemes"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    collector: Mapped[dict[str, str]] = mapped_column(JSON)
    agency: Mapped[dict[str, str]] = mapped_column(JSON)
    adopted_at: Mapped[datetime] = mapped_column()
    ledger_seq: Mapped[int] = mapped_column(Integer)

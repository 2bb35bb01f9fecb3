"""ORM rows of collectors: the people and AI agents (a shared record of their organisation), the trainings they
passed and each institution's own acceptance of another organisation's collector. The gate caches all of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id
from collectguard.db.registry_version import GateCached


class Collector(GateCached, Base):
    __tablename__ = "collectors"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    org_id: Mapped[str] = mapped_column(Id, index=True)  # an institution or an agency
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    pre_job_exam: Mapped[date | None] = mapped_column(Date)
    pledge_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_training: Mapped[date | None] = mapped_column(Date)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)


class Training(GateCached, Base):
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


class CollectorAcceptance(GateCached, Base):
    """One institution's own acceptance of another organisation's collector: `suspended` stops that collector on
    this institution's debts only; the collector's shared record is the agency's to change (art. 6, 19(五))."""

    __tablename__ = "collector_acceptances"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    collector_id: Mapped[str] = mapped_column(ForeignKey("collectors.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column()

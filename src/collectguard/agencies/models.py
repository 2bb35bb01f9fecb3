"""ORM rows of agencies: the agencies (a shared record), institutions' name lists, their advance approvals of
subcontractors and their agreements. The gate caches all of them (db/registry_version.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id
from collectguard.db.registry_version import GateCached


class Agency(GateCached, Base):
    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"))
    # The institution that registered the agency over the API (it sees the record before any agreement).
    registered_by: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"))


class AgencyListing(GateCached, Base):
    """An agency's entry on an institution's name list (art. 17(二)) — status changes by events."""

    __tablename__ = "agency_listings"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime | None] = mapped_column()


class SubcontractorApproval(GateCached, Base):
    """An institution's advance approval of a subcontractor (art. 17(四))."""

    __tablename__ = "subcontractor_approvals"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)


class Agreement(GateCached, Base):
    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    subcontracting: Mapped[bool] = mapped_column(Boolean, default=False)

"""ORM rows of public disclosure: an institution's complaint channels and process (art. 23) and an agency's public
business contact (art. 13). Neither is read by the gate: nothing here is cached (db/registry_version.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base


class ComplaintChannels(Base):
    """How a debtor complains to the institution, and what then happens (art. 23): at least one channel; the four
    steps of the process (registration, verification, investigation, result notice) and the days to answer."""

    __tablename__ = "public_complaint_channels"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(String(500))
    web_form_url: Mapped[str | None] = mapped_column(String(500))
    service_hours: Mapped[str | None] = mapped_column(String(200))
    # [{"step": "registration", "note_zh": …, "note_en": …}, …] in the order of the process
    process: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    response_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column()


class AgencyContact(Base):
    """An agency's public business contact (art. 13: the institution publishes its agencies' names and contacts).
    A shared record, like the agency: written by the agency's own key or the platform."""

    __tablename__ = "public_agency_contacts"
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column()

"""ORM rows of incidents: a personal-information incident an agency tells the institution of within 24 hours
(art. 21(二)), a major risk reported in writing to the self-regulatory organisation within 48 hours of its
discovery (art. 24), and every notice given about them. Rows are never deleted; each was recorded in the ledger
(`ledger_seq`). The report's four parts are the institution's account of the event, kept as written; the ledger
holds their hashes, never their text."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class Incident(Base):
    """An incident as reported: its kind (`pi_breach`, `major_risk`), the major risk's category, when it was
    discovered (the countdown starts there) and when it was recorded. `status`: open → notified (the institution
    was told) → reported (the written report reached the SRO)."""

    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str | None] = mapped_column(Text)
    discovered_at: Mapped[datetime] = mapped_column()
    discovered_day: Mapped[date] = mapped_column(Date)  # in the institution's zone
    reported_at: Mapped[datetime] = mapped_column()  # when it was recorded here
    reported_by: Mapped[str | None] = mapped_column(String(200))  # the key or person that recorded it
    status: Mapped[str] = mapped_column(String(16), default="open")
    ledger_seq: Mapped[int] = mapped_column(Integer)


class IncidentNotification(Base):
    """One notice about an incident: to the institution (art. 21(二)) or the written report to the SRO (art. 24),
    with the report's four parts when given. `late`: given after its deadline (`late_seconds` past it); a late
    notice still meets the obligation and stays marked late."""

    __tablename__ = "incident_notifications"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, … within the incident
    to: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column()
    day: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column()  # the deadline it answered, when one applies
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_seconds: Mapped[int] = mapped_column(Integer, default=0)
    cause: Mapped[str | None] = mapped_column(Text)  # 一、事件原因
    state: Mapped[str | None] = mapped_column(Text)  # 二、目前状况
    impact: Mapped[str | None] = mapped_column(Text)  # 三、可能影响
    measures: Mapped[str | None] = mapped_column(Text)  # 四、应对措施
    by: Mapped[str | None] = mapped_column(String(200))
    ledger_seq: Mapped[int] = mapped_column(Integer)

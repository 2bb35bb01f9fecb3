"""Outbox rows and the agencies' webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id

NO_ENDPOINT = "未配置有效的回调地址 / no active webhook endpoint for this agency"


class NoticeStatus(StrEnum):
    PENDING = "pending"  # 待送达 (due at next_attempt_at; possibly in flight)
    DELIVERED = "delivered"  # 已送达 (one 2xx recorded)
    FAILED = "failed"  # 送达失败 (gave up after the last attempt)


class AgencyEndpoint(Base):
    """Where an institution tells an agency to stop: a webhook URL and the secret that signs it."""

    __tablename__ = "agency_endpoints"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # never returned by the API
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column()


class OutboxRow(Base):
    """One stop notice to one agency. `attempts` is also the fencing token of a claim: a sender records
    the result of its attempt only while the row still carries that attempt's number."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    debt_id: Mapped[str] = mapped_column(ForeignKey("debts.id"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=NoticeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()  # None once delivered or failed
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    ack_note: Mapped[str | None] = mapped_column(Text)

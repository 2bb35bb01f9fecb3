"""Outbox rows and the webhook endpoints they go to: an agency's (stop notices), an institution's own (obligation
alerts)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id

NO_ENDPOINT = "未配置有效的回调地址 / no active webhook endpoint for this agency"
NO_ALERT_ENDPOINT = "机构未配置有效的提醒回调地址 / no active alert webhook endpoint for this institution"


class NoticeKind(StrEnum):
    STOP_NOTICE = "stop_notice"  # 停催通知: to the agency holding a debt (art. 11(五))
    OBLIGATION_ALERT = "obligation_alert"  # 义务提醒: to the institution itself, an obligation overdue or due soon


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


class InstitutionEndpoint(Base):
    """Where an institution's own obligation alerts are POSTed, and the secret that signs them."""

    __tablename__ = "institution_endpoints"
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # never returned by the API
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column()


class OutboxRow(Base):
    """One webhook delivery: a stop notice to one agency (`agency_id`, `debt_id`), or an obligation alert to the
    institution itself (neither; `dedupe_key` is `<institution>:<obligation>:<subject>:<local day>`, unique, so
    an item is queued at most once a day whoever queues it). `attempts` is also the fencing token of a claim: a
    sender records the result of its attempt only while the row still carries that attempt's number."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ux_outbox_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default=NoticeKind.STOP_NOTICE,
                                      server_default=text("'stop_notice'"))
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    debt_id: Mapped[str | None] = mapped_column(ForeignKey("debts.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))  # NULL for stop notices
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

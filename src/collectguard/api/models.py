"""Rows the HTTP layer keeps: idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the API key that sent it
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None while in progress
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column()

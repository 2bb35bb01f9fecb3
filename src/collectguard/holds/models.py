"""Hold rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class HoldRow(Base):
    __tablename__ = "holds"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    debt_id: Mapped[str | None] = mapped_column(ForeignKey("debts.id"), index=True)
    debtor_id: Mapped[str | None] = mapped_column(ForeignKey("debtors.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column()
    released_at: Mapped[datetime | None] = mapped_column()
    release_note: Mapped[str | None] = mapped_column(Text)

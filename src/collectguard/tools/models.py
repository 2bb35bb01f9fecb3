"""ORM rows of tools: lines, SMS channels, mailboxes, letterheads, IM accounts (art. 9). The gate caches them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id
from collectguard.db.registry_version import GateCached


class Tool(GateCached, Base):
    __tablename__ = "tools"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    filed: Mapped[bool] = mapped_column(Boolean, default=False)
    org_id: Mapped[str | None] = mapped_column(Id)
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)

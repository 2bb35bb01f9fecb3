"""API keys, stored hashed: the secret is shown once, at creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base, Id


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    # None for an agency's own key (role agency_admin): issued by the platform, bound to no institution.
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(Id)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

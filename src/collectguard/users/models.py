"""ORM rows of people's accounts: users (argon2id password hashes, a TOTP secret encrypted at rest) and their
console sessions, stored by the SHA-256 of the session token, never the token itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collectguard.db.base import Base


class UserRow(Base):
    """A person who signs in to the console, with one of the API's roles (never `integration`). Bound to an
    institution, to an agency, or both (an agency's operator for one institution), as API keys are."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # server-made: usr_<20 hex>
    username: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    totp_secret: Mapped[str | None] = mapped_column(String(400))  # encrypted at rest (privacy.crypto), cg1.…
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the last 30-second step used: no replay
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
    last_sign_in_at: Mapped[datetime | None] = mapped_column()


class UserSessionRow(Base):
    """A signed-in session. `id` is the SHA-256 (hex) of the session token and `csrf_hash` that of its CSRF token:
    a copy of the table opens no session."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()  # absolute limit
    last_seen_at: Mapped[datetime] = mapped_column()  # idle limit counts from here
    revoked_at: Mapped[datetime | None] = mapped_column()
    user_agent: Mapped[str | None] = mapped_column(String(200))  # a hint for the user's own session list

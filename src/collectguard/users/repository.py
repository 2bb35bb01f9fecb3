"""The queries of the users domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collectguard.users.models import UserRow, UserSessionRow


def by_username(session: Session, username: str) -> UserRow | None:
    return session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()


def by_id(session: Session, user_id: str) -> UserRow | None:
    return session.get(UserRow, user_id)


def session_row(session: Session, session_id: str) -> UserSessionRow | None:
    return session.get(UserSessionRow, session_id)


def list_users(session: Session, *, institution_id: str | None = None, agency_id: str | None = None) -> list[UserRow]:
    query = select(UserRow).order_by(UserRow.username)
    if institution_id is not None:
        query = query.where(UserRow.institution_id == institution_id)
    if agency_id is not None:
        query = query.where(UserRow.agency_id == agency_id)
    return list(session.execute(query).scalars())


def end_sessions(session: Session, user_id: str, at: datetime) -> int:
    """Revoke every open session of a user; how many were open."""
    result = session.execute(update(UserSessionRow).where(UserSessionRow.user_id == user_id,
                                                          UserSessionRow.revoked_at.is_(None))
                             .values(revoked_at=at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

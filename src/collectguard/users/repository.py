"""The queries of the users domain."""

from __future__ import annotations

from sqlalchemy import select
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

"""Small query helpers every repository shares: a page of rows with the total, and filters for the given values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select


def paged(session: Session, stmt: Select[Any], limit: int | None, offset: int) -> tuple[list[Any], int]:
    """The rows of `stmt` from `offset`, at most `limit` of them (None: all), and how many there are in all."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.execute(stmt).scalars()), total


def where_given(stmt: Select[Any], *pairs: tuple[Any, Any]) -> Select[Any]:
    """`stmt` narrowed to `column == value` for each (column, value) whose value is given (not None): a list's
    optional filters, one line each."""
    for column, value in pairs:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt

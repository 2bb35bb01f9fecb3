"""Queries every domain's repository shares (a page of a statement, a tenant's own row by id), and the caller's
institution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from collectguard.auth.roles import Principal
from collectguard.errors import NotFound
from collectguard.registry.models import Institution


def page_of(session: Session, stmt: Select[Any], order: list[Any], limit: int,
            offset: int) -> tuple[Sequence[Any], int]:
    """One page of `stmt`'s rows in a stable order, and the total across all pages."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return rows, total


def tenant_row(session: Session, model: Any, ident: Any, p: Principal, kind: str) -> Any:
    """The caller's institution's row; anyone else's is not found, as if it did not exist (art. 19(五))."""
    row = session.get(model, ident)
    if row is None or row.institution_id != p.institution_id:
        raise NotFound(kind, str(ident), field=kind)
    return row


def institution(session: Session, institution_id: str) -> Institution | None:
    return session.get(Institution, institution_id)


def institution_zone(session: Session, institution_id: str) -> ZoneInfo:
    """The zone an institution's days are counted in (`institutions.timezone`, Asia/Shanghai unless it names
    another): obligations' deadlines, monitoring's natural days, alerts' once-a-day keys."""
    name = session.execute(select(Institution.timezone).where(Institution.id == institution_id)).scalar()
    return ZoneInfo(name or "Asia/Shanghai")


def institutions(session: Session, p: Principal, limit: int, offset: int) -> tuple[Sequence[Institution], int]:
    """The caller's institution, as a page of one."""
    stmt = select(Institution).where(Institution.id == p.institution_id)
    return page_of(session, stmt, [Institution.id], limit, offset)

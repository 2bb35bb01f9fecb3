"""Which tools a caller may see: its institution's; for an agency's operator, those of its own agency and its
subcontractors (art. 20(三)). Anything else is not found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from collectguard.agencies import repository as agencies
from collectguard.auth.roles import Principal
from collectguard.errors import NotFound
from collectguard.registry.repository import page_of, tenant_row
from collectguard.tools.models import Tool


def visible_filter(session: Session, p: Principal) -> ColumnElement[bool]:
    own = Tool.institution_id == p.institution_id
    if p.agency_id is not None:
        return own & Tool.org_id.in_(agencies.family(session, p.agency_id))
    return own


def visible(session: Session, p: Principal, tool_id: str) -> Tool:
    row = session.execute(select(Tool).where(Tool.id == tool_id, visible_filter(session, p))).scalar()
    if row is None:
        raise NotFound("tool", tool_id, field="tool")
    return row


def own(session: Session, p: Principal, tool_id: str) -> Tool:
    """The caller's institution's tool, to change it."""
    row: Tool = tenant_row(session, Tool, tool_id, p, "tool")
    return row


def tools(session: Session, p: Principal, limit: int, offset: int, *, type: str | None = None, org: str | None = None,
          active_on: date | None = None) -> tuple[Sequence[Tool], int]:
    stmt = select(Tool).where(visible_filter(session, p))
    if type is not None:
        stmt = stmt.where(Tool.type == type)
    if org is not None:
        stmt = stmt.where(Tool.org_id == org)
    if active_on is not None:
        stmt = stmt.where(or_(Tool.active_from.is_(None), Tool.active_from <= active_on),
                          or_(Tool.active_to.is_(None), Tool.active_to >= active_on))
    return page_of(session, stmt, [Tool.id], limit, offset)

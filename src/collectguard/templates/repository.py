"""Templates are an institution's own business: its own, never another tenant's, and never an agency's to read
(art. 20(三))."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.auth.roles import Principal
from collectguard.registry.repository import page_of, tenant_row
from collectguard.templates.models import Template, TemplateVersion


def own(session: Session, p: Principal, template_id: str) -> Template:
    row: Template = tenant_row(session, Template, template_id, p, "template")
    return row


def current_version(session: Session, template: Template, *, fresh: bool = False) -> TemplateVersion:
    """`fresh`: as it is now, read again rather than taken from the session (a decision, under the template's
    lock, must see what was committed before the lock was granted)."""
    version = session.get(TemplateVersion, (template.id, template.current_version), populate_existing=fresh)
    assert version is not None
    return version


def versions(session: Session, template_id: str) -> Sequence[TemplateVersion]:
    return session.execute(select(TemplateVersion).where(TemplateVersion.template_id == template_id)
                           .order_by(TemplateVersion.version)).scalars().all()


def templates(session: Session, p: Principal, limit: int, offset: int, *, audience: str | None = None,
              channel: str | None = None, status: str | None = None,
              active: bool | None = None) -> tuple[Sequence[Template], int]:
    stmt = select(Template).where(Template.institution_id == p.institution_id)
    if audience is not None:
        stmt = stmt.where(Template.audience == audience)
    if channel is not None:
        stmt = stmt.where(Template.channel == channel)
    if active is not None:
        stmt = stmt.where(Template.active.is_(active))
    if status is not None:
        stmt = stmt.join(TemplateVersion, (TemplateVersion.template_id == Template.id)
                         & (TemplateVersion.version == Template.current_version)).where(
            TemplateVersion.status == status)
    return page_of(session, stmt, [Template.id], limit, offset)

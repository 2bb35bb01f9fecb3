"""Templates and their versions (art. 15(一)): create and change, in the caller's transaction, each change in the
ledger. A template's text changes only as a new version that needs approval again. Services never commit."""

from __future__ import annotations

from typing import Any

from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.unit import Unit
from collectguard.templates import models as tm


def add_template(unit: Unit, data: s.TemplateIn) -> tm.Template:
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    row = tm.Template(id=data.id, institution_id=data.institution, audience=data.audience, channel=data.channel)
    unit.new(row, "template", data.id, Tag.TEMPLATE_CREATED, data.model_dump(mode="json"), data.institution)
    unit.session.flush()
    unit.session.add(
        tm.TemplateVersion(
            template_id=data.id,
            version=1,
            text=data.text,
            sealed=data.sealed,
            status="approved" if data.approved else "pending",
        )
    )
    return row


def update_template(unit: Unit, ident: str, changes: dict[str, Any]) -> tm.Template:
    """Whether the template is in use; its text changes only as a new version (art. 15(一))."""
    row = unit.get(tm.Template, ident, kind="template")
    unit.update(row, Tag.TEMPLATE_UPDATED, ident, changes, row.institution_id)
    return row

"""Tools (lines, SMS channels, mailboxes, letterheads, IM accounts; art. 9): create and change, in the caller's
transaction, each change in the ledger. Services never commit."""

from __future__ import annotations

from typing import Any

from collectguard.errors import NotFound
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.unit import Unit, check_period
from collectguard.tools import models as tm


def add_tool(unit: Unit, data: s.ToolIn) -> tm.Tool:
    unit.require(m.Institution, data.institution, kind="institution", field="institution")
    if data.org is not None and not unit.org_exists(data.org):
        raise NotFound("organisation", data.org, field="org")
    row = tm.Tool(
        id=data.id,
        institution_id=data.institution,
        type=data.type,
        official=data.official,
        filed=data.filed,
        org_id=data.org,
        active_from=data.active_from,
        active_to=data.active_to,
    )
    unit.new(row, "tool", data.id, Tag.TOOL_CREATED, data.model_dump(mode="json"), data.institution)
    return row


def update_tool(unit: Unit, ident: str, changes: dict[str, Any]) -> tm.Tool:
    row = unit.get(tm.Tool, ident, kind="tool")
    if changes.get("org_id") is not None and not unit.org_exists(changes["org_id"]):
        raise NotFound("organisation", changes["org_id"], field="org")
    start, end = changes.get("active_from", row.active_from), changes.get("active_to", row.active_to)
    if start is not None and end is not None:
        check_period(start, end, "active_to")
    unit.update(row, Tag.TOOL_UPDATED, ident, changes, row.institution_id)
    return row

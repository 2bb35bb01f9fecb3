"""催收工具 Tools over HTTP: lines, SMS channels, mailboxes, letterheads, IM accounts (art. 9). Every read is one
read-only unit, every change one write unit recorded in the ledger."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from collectguard.agencies import repository as agencies
from collectguard.api.common import Limit, Page, PathId, Reader, Writer, own_institution, page
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.fields import StrictDate
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.rulebook.vocabulary import ToolType
from collectguard.tools import repository as repo
from collectguard.tools import service
from collectguard.tools.schemas import ToolCreate, ToolOut, ToolPatch

router = APIRouter(prefix="/v1")
TOOLS: list[str | Enum] = ["registry 登记: tools 催收工具"]
TOOL_EXAMPLES = {"phone": {"summary": "报备的官方外呼号码 An official, filed outbound line", "value": {
    "ref": "tel-agA", "institution": "bank", "type": "phone", "official": True, "filed": True, "org": "agA",
    "active_from": "2026-01-01"}}}


@router.post("/tools", response_model=ToolOut, status_code=201, tags=TOOLS, responses=ERRORS,
             summary="登记催收工具 Register a tool (line, SMS channel, mailbox, letterhead, IM)")
def create_tool(body: Annotated[ToolCreate, Body(openapi_examples=TOOL_EXAMPLES)], p: Writer, units: UnitsDep,
                at: Now) -> ToolOut:
    own_institution(p, body.institution)
    data = body.with_new_id()
    with units.write(at) as unit:
        agencies.org_visible(unit.session, p, body.org)
        row = service.add_tool(unit, data)
        tenancy.remember_ref(unit.session, p.institution_id, "tool", body.ref, row.id)
        return ToolOut.model_validate(row)


@router.get("/tools/{tool_id}", response_model=ToolOut, tags=TOOLS, responses=ERRORS, summary="查看工具 Read a tool")
def get_tool(tool_id: PathId, p: Reader, units: UnitsDep) -> ToolOut:
    with units.read() as session:
        return ToolOut.model_validate(repo.visible(session, p, tool_id))


@router.get("/tools", response_model=Page[ToolOut], tags=TOOLS, responses=ERRORS, summary="工具列表 Tools")
def list_tools(
    p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0,
    type: Annotated[ToolType | None, Query()] = None,
    org: Annotated[s.Ident | None, Query()] = None,
    active_on: Annotated[StrictDate | None, Query(description="在该日启用 in use on this day")] = None,
) -> Page[Any]:
    with units.read() as session:
        rows = repo.tools(session, p, limit, offset, type=type, org=org, active_on=active_on)
        return page(rows, limit, offset, ToolOut.model_validate)


@router.patch("/tools/{tool_id}", response_model=ToolOut, tags=TOOLS, responses=ERRORS,
              summary="修改工具 Change a tool (filing, official, period, organisation)")
def patch_tool(tool_id: PathId, body: ToolPatch, p: Writer, units: UnitsDep, at: Now) -> ToolOut:
    with units.write(at) as unit:
        repo.own(unit.session, p, tool_id)
        agencies.org_visible(unit.session, p, body.org)
        return ToolOut.model_validate(service.update_tool(unit, tool_id, body.changes()))

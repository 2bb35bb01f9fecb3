"""What the tools' endpoints accept and answer. The setup model (`ToolIn`) is the registry's shared vocabulary
(registry/schemas.py); over HTTP the server makes the id."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from collectguard.fields import Flag, StrictDate
from collectguard.registry import schemas as s
from collectguard.registry.create import ServerMade
from collectguard.rulebook.vocabulary import ToolType


class ToolCreate(ServerMade, s.ToolIn):
    id_kind = "tool"
    setup = s.ToolIn


class ToolOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "tel", "institution_id": "bank", "type": "phone", "official": True, "filed": True, "org_id": "agA",
         "active_from": "2026-01-01", "active_to": None}]})
    id: str
    institution_id: str
    type: ToolType
    official: bool
    filed: bool
    org_id: str | None
    active_from: date | None
    active_to: date | None


class ToolPatch(s.Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"filed": True, "active_to": "2026-12-31"}]})
    ATTRS = {"org": "org_id"}
    official: Flag = s.UNSET
    filed: Flag = s.UNSET
    org: s.Ident | None = None
    active_from: StrictDate | None = None
    active_to: StrictDate | None = None

"""What the agencies' endpoints accept and answer. The setup models (`AgencyIn`, `AgreementIn`) are the registry's
shared vocabulary (registry/schemas.py: scenario files, the demo, imports); over HTTP the server makes the id."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from collectguard.fields import Flag, StrictDate
from collectguard.registry import schemas as s
from collectguard.registry.create import ServerMade
from collectguard.rulebook.vocabulary import ListingStatus


class AgencyCreate(ServerMade, s.AgencyIn):
    id_kind = "agency"
    setup = s.AgencyIn


class AgreementCreate(ServerMade, s.AgreementIn):
    id_kind = "agreement"
    setup = s.AgreementIn


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "agA", "name": "甲催收", "parent_id": None, "listing_status": "active",
         "listed_since": "2026-05-01T01:00:00Z", "subcontractor_approved": False}]})
    id: str
    name: str | None
    parent_id: str | None
    listing_status: ListingStatus | None = Field(description="本机构名单状态 status on the caller's name list")
    listed_since: AwareDatetime | None
    subcontractor_approved: bool = Field(description="本机构是否已批准其为转委托机构 approved as subcontractor")


class SubcontractorApprovalIn(s.Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"agency": "agA-sub"}]})
    agency: s.Ident


class SubcontractorApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"institution_id": "bank", "agency_id": "agA-sub"}]})
    institution_id: str
    agency_id: str


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "ag1", "institution_id": "bank", "agency_id": "agA", "valid_from": "2026-01-01",
         "valid_to": "2026-12-31", "subcontracting": False}]})
    id: str
    institution_id: str
    agency_id: str
    valid_from: date
    valid_to: date
    subcontracting: bool


class AgreementPatch(s.Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"to": "2027-06-30"}]})
    ATTRS = {"from_": "valid_from", "to": "valid_to"}
    from_: StrictDate = Field(default=s.UNSET, alias="from")
    to: StrictDate = s.UNSET
    subcontracting: Flag = s.UNSET


# == events ==========================================================================================
class AgencyStatusIn(s.Strict):
    institution: s.Ident
    agency: s.Ident
    status: ListingStatus

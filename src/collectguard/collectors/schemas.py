"""What the collectors' endpoints accept and answer. The setup model (`CollectorIn`) is the registry's shared
vocabulary (registry/schemas.py); over HTTP the server makes the id."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from collectguard.fields import Flag, StrictDate
from collectguard.registry import schemas as s
from collectguard.registry.create import ServerMade
from collectguard.rulebook.vocabulary import CollectorKind, CollectorStatus


class CollectorCreate(ServerMade, s.CollectorIn):
    id_kind = "collector"
    setup = s.CollectorIn


class CollectorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [
        {"id": "c1", "org_id": "agA", "kind": "human", "status": "active", "pre_job_exam": "2026-01-05",
         "pledge_signed": True, "last_training": "2026-01-05", "approved": False}]})
    id: str
    org_id: str
    kind: CollectorKind
    status: CollectorStatus
    pre_job_exam: date | None
    pledge_signed: bool
    last_training: date | None
    approved: bool
    # The caller's own acceptance of another organisation's collector (art. 19(五)): its suspension, if any,
    # and the latest training it recognised. None for in-house collectors and for the agency's own key.
    institution_status: CollectorStatus | None = None
    recognised_training: date | None = None


class TrainingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{"day": "2026-01-05"}]})
    day: date
    recognised_by: str | None = Field(default=None, validation_alias="institution_id",
                                      description="只为该机构认可的培训 a training only this institution recognises")


class CollectorPatch(s.Patch):
    """Qualifications. Status: POST /v1/collector-status; trainings: POST /v1/trainings."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"pledge_signed": True, "pre_job_exam": "2026-02-01"}]})
    pre_job_exam: StrictDate | None = None
    pledge_signed: Flag = s.UNSET
    approved: Flag = s.UNSET


# == events ==========================================================================================
class CollectorStatusIn(s.Strict):
    collector: s.Ident
    status: CollectorStatus


class TrainingIn(s.Strict):
    collector: s.Ident
    date: StrictDate = Field(description="the day it was passed; not after today (Asia/Shanghai)")

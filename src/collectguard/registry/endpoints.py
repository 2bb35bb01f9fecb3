"""机构 The caller's institution over HTTP (its policy: api/routes/policy.py). Every read is one read-only unit,
every change one write unit recorded in the ledger. Agencies never read an institution's settings."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter

from collectguard.api.common import (
    Limit,
    Page,
    PathId,
    Reader,
    Writer,
    institution_only,
    own_institution,
    page,
)
from collectguard.api.deps import Now, UnitsDep
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.registry import repository as repo
from collectguard.registry.schemas import InstitutionOut, InstitutionPatch
from collectguard.registry.service import update_institution

router = APIRouter(prefix="/v1")
INSTITUTIONS: list[str | Enum] = ["registry 登记: institutions 机构"]
SETTINGS = "机构信息 institution settings"


@router.get("/institutions", response_model=Page[InstitutionOut], tags=INSTITUTIONS, responses=ERRORS,
            summary="本机构 The caller's institution (a list of one)")
def list_institutions(p: Reader, units: UnitsDep, limit: Limit = 50, offset: Offset = 0) -> Page[Any]:
    institution_only(p, SETTINGS)
    with units.read() as session:
        return page(repo.institutions(session, p, limit, offset), limit, offset, InstitutionOut.model_validate)


@router.get("/institutions/{institution_id}", response_model=InstitutionOut, tags=INSTITUTIONS, responses=ERRORS,
            summary="查看本机构 Read the caller's institution")
def get_institution(institution_id: PathId, p: Reader, units: UnitsDep) -> InstitutionOut:
    institution_only(p, SETTINGS)
    own_institution(p, institution_id, "institution_id")
    with units.read() as session:
        return InstitutionOut.model_validate(repo.institution(session, institution_id))


@router.patch("/institutions/{institution_id}", response_model=InstitutionOut, tags=INSTITUTIONS, responses=ERRORS,
              summary="修改本机构名称 Rename the caller's institution")
def patch_institution(institution_id: PathId, body: InstitutionPatch, p: Writer, units: UnitsDep,
                      at: Now) -> InstitutionOut:
    own_institution(p, institution_id, "institution_id")
    with units.write(at) as unit:
        return InstitutionOut.model_validate(update_institution(unit, institution_id, body.changes()))

"""A tenant's own references (loan numbers, CRM ids) → the ids the server made for its objects."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from collectguard.api.deps import StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.registry.schemas import Ident
from collectguard.registry.tenancy import PREFIXES, resolve_ref

router = APIRouter(prefix="/v1/refs", tags=["registry 登记: references 引用"])
Reader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ))]
Kind = Literal["agency", "agreement", "collector", "tool", "template", "debtor", "contact", "debt"]
assert set(Kind.__args__) == set(PREFIXES)  # type: ignore[attr-defined]


class RefOut(BaseModel):
    kind: str
    ref: str
    id: str


@router.get("/{kind}/{ref}", response_model=RefOut, summary="按本机构引用查找 Find an object by your own reference")
def find(kind: Annotated[Kind, Path()], ref: Annotated[Ident, Path()], p: Reader, store: StoreDep) -> RefOut:
    """Only the caller's institution's references are searched: another tenant's reference is not found."""
    with store.read() as session:
        return RefOut(kind=kind, ref=ref, id=resolve_ref(session, p.institution_id, kind, ref))

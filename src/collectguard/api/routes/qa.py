"""Quality-inspection results over HTTP: violations per collector or agency per day (art. 12(三))."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from collectguard.api.deps import StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.qa.storage import violation_counts

router = APIRouter(prefix="/v1/qa", tags=["qa 质检"])


class ViolationCount(BaseModel):
    who: str
    day: str
    calls: int
    violations: int


@router.get("/violations", response_model=list[ViolationCount],
            summary="质检违规统计 Violations per collector or agency per day")
def violations(
    p: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    store: StoreDep,
    by: Annotated[Literal["collector", "agency"], Query()] = "collector",
) -> list[ViolationCount]:
    """Calls inspected and violations found, from `collectguard qa scan --record`, for the caller's institution."""
    with store.transaction() as session:
        rows = violation_counts(session, by, p.institution_id)
    return [ViolationCount(who=r[by], day=r["day"], calls=r["calls"], violations=r["violations"]) for r in rows]

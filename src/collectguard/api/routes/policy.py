"""An institution's policy over HTTP: read it, replace it (stricter than the guideline only).

Only the institution's own staff read it and only its administrator changes it; another institution's id is
a 404, so nothing says whether it exists (art. 19(五))."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path

from collectguard.api.deps import Now, UnitsDep, require
from collectguard.auth.roles import Permission, Principal, Role
from collectguard.auth.service import Forbidden
from collectguard.errors import NotFound
from collectguard.registry import policies
from collectguard.registry.schemas import Ident, PolicyIn
from collectguard.registry.unit import Unit

router = APIRouter(prefix="/v1/institutions", tags=["registry 登记: institutions 机构"])
EXAMPLES = {
    "stricter": {
        "summary": "更严格：每日两次语音，21:00 起静默 Stricter: two calls a day, quiet from 21:00",
        "value": {"voice_cap": 2, "quiet_hours": {"from": "21:00", "to": "08:00"}, "lease_ttl_s": 300},
    },
    "guideline": {"summary": "沿用指引 The guideline's values", "value": {}},
}


def _own(p: Principal, institution_id: str) -> None:
    if p.agency_id is not None or institution_id != p.institution_id:
        raise NotFound("institution", institution_id, field="institution_id")


@router.get("/{institution_id}/policy", response_model=policies.PolicyOut,
            summary="机构政策 The institution's policy and the limits in effect")
def get_policy(
    institution_id: Annotated[Ident, Path()],
    p: Annotated[Principal, Depends(require(Permission.REGISTRY_READ))],
    units: UnitsDep,
    at: Now,
) -> policies.PolicyOut:
    """The overrides the institution set and what they resolve to with the guideline (per-day caps, quiet
    hours, the unreachable definition, lease TTL). For the institution's own staff, not agencies."""
    _own(p, institution_id)
    with units.read() as session:
        return policies.show(Unit(session, at=at), institution_id)


@router.put("/{institution_id}/policy", response_model=policies.PolicyOut,
            summary="设置机构政策 Replace the institution's policy (stricter only)")
def put_policy(
    institution_id: Annotated[Ident, Path()],
    body: Annotated[PolicyIn, Body(openapi_examples=EXAMPLES)],
    p: Annotated[Principal, Depends(require(Permission.REGISTRY_WRITE))],
    units: UnitsDep,
    at: Now,
) -> policies.PolicyOut:
    """Replace the whole policy: keys left out follow the guideline. A value looser than the guideline is a
    422 naming the key (`policy-looser-than-guideline`). Recorded in the ledger; the gate applies it from
    its next decision. Institution administrators only."""
    _own(p, institution_id)
    if p.role is not Role.INSTITUTION_ADMIN:
        raise Forbidden("只有机构管理员可以修改机构政策", "only an institution_admin may change the policy")
    with units.write(at) as unit:
        return policies.replace(unit, institution_id, body)

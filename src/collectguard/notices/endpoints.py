"""An institution's own webhook for obligation alerts (issue 11): set it, read it back without its secret.

Setting it is the institution administrator's (`keys:manage`: like an API key, the endpoint's secret is a
credential of the institution, and only its administrator holds that permission); reading it is for the
institution's own staff who read notices (`notices:read`), never an agency. Alerts are signed exactly as stop
notices are (`notices.signing`) and delivered by the same sender (`collectguard notices send`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from collectguard.api.common import PathId, institution_only, own_institution
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.notices import service
from collectguard.notices.schemas import AlertEndpointOut, EndpointIn

router = APIRouter(prefix="/v1", tags=["notices 停催通知"])
KeyAdmin = Annotated[Principal, Depends(require(Permission.KEYS_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.NOTICES_READ))]
WHAT = "提醒回调地址 the alert webhook endpoint"


@router.put("/institutions/{institution_id}/alert-endpoint", response_model=AlertEndpointOut, responses=ERRORS,
            summary="设置义务提醒回调地址 Set the institution's webhook for obligation alerts")
def put_alert_endpoint(institution_id: PathId, body: EndpointIn, p: KeyAdmin, units: UnitsDep,
                       at: Now) -> AlertEndpointOut:
    """Where overdue and soon-due obligations are POSTed (once per item and day), and the secret that signs them
    (never returned). Alerts that waited for an endpoint become due at once."""
    institution_only(p, WHAT)
    own_institution(p, institution_id, "institution_id")
    with units.write(at) as unit:
        row = service.set_alert_endpoint(unit, institution_id, body)
        unit.session.flush()
        unit.session.refresh(row)
        return AlertEndpointOut.model_validate(row)


@router.get("/institutions/{institution_id}/alert-endpoint", response_model=AlertEndpointOut, responses=ERRORS,
            summary="查看义务提醒回调地址 Read the institution's webhook for obligation alerts")
def get_alert_endpoint(institution_id: PathId, p: Reader, units: UnitsDep) -> AlertEndpointOut:
    institution_only(p, WHAT)
    own_institution(p, institution_id, "institution_id")
    with units.read() as session:
        return AlertEndpointOut.model_validate(service.alert_endpoint(session, institution_id))

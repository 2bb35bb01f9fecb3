"""Missing outcomes over HTTP: which collectors' dialers stopped reporting (their leases expired with no
outcome). Scoped like the other gate reads: the caller's institution, and for an agency-bound key only its
own and its subcontractors' collectors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from collectguard.agencies import repository as agencies
from collectguard.api import attempt_ids
from collectguard.api.deps import Now, StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.fields import Instant
from collectguard.gate.leases import MissingOutcomesOut, missing_outcomes, period

# Registered before the gate's router: `missing-outcomes` would otherwise be read as an attempt id.
router = APIRouter(prefix="/v1/attempts", tags=["gate 闸门"])


@router.get("/missing-outcomes", response_model=MissingOutcomesOut,
            summary="缺失结果 Attempts whose outcome never came, per collector")
def missing(
    p: Annotated[Principal, Depends(require(Permission.GATE_READ))],
    store: StoreDep,
    at: Now,
    since: Annotated[Instant | None, Query(description="租约到期不早于 leases that expired at or after "
                                                             "(default: a day before `until`)")] = None,
    until: Annotated[Instant | None, Query(description="租约到期早于 … and before (default: now)")] = None,
) -> MissingOutcomesOut:
    """Attempts allowed with a lease that expired in [since, until) without an outcome, grouped by collector
    (most missing first): each is recorded in the ledger as `gate:lease:expired`. A late outcome settles the
    lease and removes the attempt from this list. The period is at most 31 days."""
    start, end = period(since, until, at)
    with store.read() as session:
        orgs = agencies.family(session, p.agency_id) if p.agency_id is not None else None
        return missing_outcomes(session, p.institution_id, start, end, at, orgs=orgs, shown=attempt_ids.external)

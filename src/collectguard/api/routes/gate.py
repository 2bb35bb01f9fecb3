"""The gate over HTTP: ask before every contact, report every outcome. A deny is a 200."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path
from pydantic import Field

from collectguard.api import scope
from collectguard.api.deps import GateDep, Now, StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.gate.schemas import AttemptIn, DecisionOut, OutcomeIn, OutcomeOut
from collectguard.registry.schemas import Ident, Strict

router = APIRouter(prefix="/v1/attempts", tags=["gate 闸门"])

ATTEMPT_EXAMPLE = {
    "id": "call-20260520-0001", "collector": "bot1", "debt": "loan1", "party": "d1",
    "channel": "voice", "mode": "notification", "tool": "tel-bank", "template": "t-remind",
}


class OutcomeBody(Strict):
    connected: bool
    duration_s: Decimal | None = Field(default=None, ge=0)
    meaningful: bool | None = None
    effective: bool | None = None


@router.post("", response_model=DecisionOut, summary="询问闸门 Ask the gate before a contact")
def ask(
    attempt: Annotated[AttemptIn, Body(openapi_examples={"voice": {"summary": "AI voice reminder", "value": ATTEMPT_EXAMPLE}})],
    p: Annotated[Principal, Depends(require(Permission.GATE_ASK))],
    store: StoreDep,
    gate: GateDep,
    at: Now,
) -> DecisionOut:
    """Allow or deny, with every failing rule, quotas left and the earliest allowed time. When allowed, the
    per-day quota is leased in the same transaction. Retrying the same attempt returns the first answer."""
    with store.read() as session:
        debt = scope.debt(session, p, attempt.debt, at)
        scope.collector_usable(session, p, attempt.collector)
        scope.attempt_party(session, p, debt, attempt.party, at)
    return gate.decide(attempt, at)


@router.get("/{attempt_id}", response_model=DecisionOut, summary="查询决定 The decision on an attempt")
def decision(
    attempt_id: Annotated[Ident, Path()],
    p: Annotated[Principal, Depends(require(Permission.GATE_READ))],
    store: StoreDep,
) -> DecisionOut:
    with store.read() as session:
        row = scope.attempt(session, p, attempt_id)
        return DecisionOut.model_validate(row.decision)


@router.post("/{attempt_id}/outcome", response_model=OutcomeOut, summary="报告结果 Report the outcome")
def outcome(
    attempt_id: Annotated[Ident, Path()],
    body: OutcomeBody,
    p: Annotated[Principal, Depends(require(Permission.GATE_ASK))],
    store: StoreDep,
    gate: GateDep,
    at: Now,
) -> OutcomeOut:
    """Connected (or effective) consumes the lease; anything else releases it; a late outcome still settles."""
    with store.read() as session:
        scope.attempt(session, p, attempt_id)
    return gate.record_outcome(OutcomeIn(attempt=attempt_id, **body.model_dump()), at)

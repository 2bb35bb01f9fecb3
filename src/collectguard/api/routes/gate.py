"""The gate over HTTP: ask before every contact, report every outcome. A deny is a 200.

The two hot routes (`POST /v1/attempts`, `POST /v1/attempts/{id}/outcome`) are most of a dialer's
traffic, so their ordinary case is kept short:
- scope is checked in one statement each (scope.ask, scope.attempt_visible);
- the answer is the model's own JSON (`model_dump_json`): FastAPI would otherwise validate the returned
  model again, in a second thread-pool hop, before serialising it (`response_model` still documents it);
- `_GateRoute` answers a request whose key is in the key cache and allowed, whose body is JSON that
  validates and whose path id is well formed without FastAPI's dependency resolution (auth, bearer,
  store, gate, clock, body: about a third of the HTTP cost on 2 cores). Any other request — no key or a
  key not cached yet, a bad body, a wrong content type — goes through FastAPI's own handler, unchanged,
  so every error answer and its order (malformed JSON before authentication, and so on) is FastAPI's.
  Both ways run the same function (`_ask`, `_outcome`) with the same checks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from collectguard.api import attempt_ids, scope
from collectguard.api.deps import Now, StoreDep, require, token_of
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import cached_principal
from collectguard.errors import CollectGuardError
from collectguard.fields import DurationS, Flag, Instant
from collectguard.gate.schemas import ENDED_AT, AttemptIn, AttemptOut, DecisionOut, OutcomeIn, OutcomeOut
from collectguard.registry.schemas import Ident, Strict

ATTEMPT_EXAMPLE = {
    "id": "call-20260520-0001", "collector": "bot1", "debt": "loan1", "party": "d1",
    "channel": "voice", "mode": "notification", "tool": "tel-bank", "template": "t-remind",
}


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


class OutcomeBody(Strict):
    connected: Flag
    duration_s: DurationS | None = None
    meaningful: Flag | None = None
    effective: Flag | None = None
    ended_at: Instant | None = Field(default=None, description=ENDED_AT)


def _ask(state: Any, p: Principal, attempt: AttemptIn) -> Response:
    at = state.clock()
    stored = scope.ask(state.store, p, attempt.id, attempt.debt, attempt.collector, attempt.party, at)
    if stored != attempt.id:
        attempt = attempt.model_copy(update={"id": stored})
    decision = state.gate.decide(attempt, at)
    return _json(decision.model_copy(update={"attempt_id": attempt_ids.external(decision.attempt_id)}))


def _outcome(state: Any, p: Principal, attempt_id: str, body: OutcomeBody) -> Response:
    at = state.clock()
    stored = scope.attempt_visible(state.store, p, attempt_id)
    reported = OutcomeIn(attempt=attempt_id, **body.model_dump()).model_copy(update={"attempt": stored})
    outcome = state.gate.record_outcome(reported, at)
    return _json(outcome.model_copy(update={"attempt_id": attempt_ids.external(outcome.attempt_id)}))


# -- the fast handlers (see the module's docstring) ------------------------------------------------------
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
FastHandler = Callable[[Request], Awaitable[Response | None]]
_IDENT: TypeAdapter[str] = TypeAdapter(Ident)


def _cached_caller(request: Request, permission: Permission) -> Principal | None:
    """The caller when its key is in the key cache, opens it and may do `permission`; None otherwise."""
    state = request.app.state
    try:
        p = cached_principal(state.store, token_of(request.headers), state.clock())
    except CollectGuardError:
        return None
    if p is None or not p.can(permission):
        return None
    request.state.principal = p
    return p


async def _json_body(request: Request, model: type[BaseModel]) -> Any:
    """The body as `model` when it is JSON (by content type, as FastAPI requires) and valid; else None."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        return None
    main = content_type.partition(";")[0].strip().lower()
    if main != "application/json" and not (main.startswith("application/") and main.endswith("+json")):
        return None
    raw = await request.body()
    if not raw:
        return None
    try:
        return model.model_validate(json.loads(raw))
    except (ValueError, ValidationError, RecursionError):  # malformed, too deep or invalid: FastAPI answers it
        return None


async def _fast_ask(request: Request) -> Response | None:
    p = _cached_caller(request, Permission.GATE_ASK)
    if p is None:
        return None
    attempt = await _json_body(request, AttemptIn)
    if attempt is None:
        return None
    return await run_in_threadpool(_ask, request.app.state, p, attempt)


async def _fast_outcome(request: Request) -> Response | None:
    try:
        attempt_id = _IDENT.validate_python(request.path_params.get("attempt_id"))
    except ValidationError:
        return None
    p = _cached_caller(request, Permission.GATE_ASK)
    if p is None:
        return None
    body = await _json_body(request, OutcomeBody)
    if body is None:
        return None
    return await run_in_threadpool(_outcome, request.app.state, p, attempt_id, body)


_FAST: dict[str, FastHandler] = {"ask": _fast_ask, "outcome": _fast_outcome}  # by endpoint name


class _GateRoute(APIRoute):
    """An APIRoute whose endpoint may have a fast handler: it answers, or returns None to hand the request
    to FastAPI's own handler (which reads the cached body again)."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        fast = _FAST.get(self.endpoint.__name__)
        if fast is None:
            return standard

        async def handler(request: Request) -> Response:
            response = await fast(request)
            return response if response is not None else await standard(request)

        return handler


router = APIRouter(prefix="/v1/attempts", tags=["gate 闸门"], route_class=_GateRoute)


@router.post("", response_model=DecisionOut, summary="询问闸门 Ask the gate before a contact")
def ask(
    attempt: Annotated[AttemptIn, Body(openapi_examples={"voice": {"summary": "AI voice reminder", "value": ATTEMPT_EXAMPLE}})],
    p: Annotated[Principal, Depends(require(Permission.GATE_ASK))],
    request: Request,
) -> Response:
    """Allow or deny, with every failing rule, quotas left and the earliest allowed time. When allowed, the
    per-day quota is leased in the same transaction. Retrying the same attempt returns the first answer."""
    return _ask(request.app.state, p, attempt)


@router.get("/{attempt_id}", response_model=AttemptOut, summary="查询尝试 The decision on an attempt, its lease and outcome")
def decision(
    attempt_id: Annotated[Ident, Path()],
    p: Annotated[Principal, Depends(require(Permission.GATE_READ))],
    store: StoreDep,
    at: Now,
) -> AttemptOut:
    """The decision as it was answered, where its lease stands now (a held lease past its expiry is
    `expired`, as the lease sweeper will record it) and the outcome reported, if any — with `against_deny`
    when it was a contact made although the gate denied it."""
    with store.read() as session:
        row = scope.attempt(session, p, attempt_id)
        return AttemptOut.of(row, at, attempt_id=attempt_ids.external(row.id))


@router.post("/{attempt_id}/outcome", response_model=OutcomeOut, summary="报告结果 Report the outcome")
def outcome(
    attempt_id: Annotated[Ident, Path()],
    body: OutcomeBody,
    p: Annotated[Principal, Depends(require(Permission.GATE_ASK))],
    request: Request,
) -> Response:
    """Connected (or effective) consumes the lease; anything else releases it; a late outcome still settles."""
    return _outcome(request.app.state, p, attempt_id, body)

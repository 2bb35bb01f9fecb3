"""Request dependencies: the store, the clock, the principal and its permissions.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in the thread pool, one hop per
dependency per request. None of these blocks, except reading an API key that is not in the key cache,
which is sent to the thread pool itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden, authenticate_cached, cached_principal
from collectguard.db.store import Store
from collectguard.gate.service import Gate
from collectguard.registry.unit import Units


async def store(request: Request) -> Store:
    return request.app.state.store


async def gate(request: Request) -> Gate:
    return request.app.state.gate


async def units(request: Request) -> Units:
    """Units of work over the store, ledgered with the configured hash (settings' `ledger_hash`)."""
    return request.app.state.units


async def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


BEARER = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer cgk_<id>.<secret>`")


def token_of(headers: object) -> str | None:
    """The API key of a request: `Authorization: Bearer …`, else `X-API-Key`."""
    get = headers.get  # type: ignore[attr-defined]
    auth = get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return get("x-api-key")


async def _principal(request: Request) -> Principal:
    s: Store = request.app.state.store
    token = token_of(request.headers)
    at = request.app.state.clock()
    p = cached_principal(s, token, at)
    if p is None:
        p = await run_in_threadpool(authenticate_cached, s, token, at)
    request.state.principal = p
    return p


async def principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
) -> Principal:
    """The caller, from its API key (Bearer header, or X-API-Key), through the key cache (auth.cache)."""
    return await _principal(request)


def require(permission: Permission, *alternatives: Permission) -> Callable[..., Awaitable[Principal]]:
    """The caller, if its role may do `permission` or one of the `alternatives` (403 otherwise). One dependency,
    not a chain of them: FastAPI's per-dependency work is a visible share of a gate request."""
    allowed = (permission, *alternatives)
    names = " / ".join(a.value for a in allowed)

    async def check(
        request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
    ) -> Principal:
        p = await _principal(request)
        if not any(p.can(a) for a in allowed):
            raise Forbidden(
                f"角色 {p.role.value} 无权执行此操作（{names}）",
                f"role {p.role.value} may not do this ({names})",
            )
        return p

    return check


StoreDep = Annotated[Store, Depends(store)]
GateDep = Annotated[Gate, Depends(gate)]
UnitsDep = Annotated[Units, Depends(units)]
Now = Annotated[datetime, Depends(now)]

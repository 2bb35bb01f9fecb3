"""Request dependencies: the store, the clock, the principal and its permissions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from collectguard.api.idempotency import _token
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden, authenticate
from collectguard.db.store import Store
from collectguard.gate.service import Gate


def store(request: Request) -> Store:
    return request.app.state.store


def gate(request: Request) -> Gate:
    return request.app.state.gate


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


BEARER = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer cgk_<id>.<secret>`")


def principal(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
) -> Principal:
    """The caller, from its API key (Bearer header, or X-API-Key)."""
    s: Store = request.app.state.store
    with s.read() as session:
        p = authenticate(session, _token(request), now(request))
    request.state.principal = p
    return p


def require(permission: Permission) -> Callable[..., Principal]:
    def check(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if not p.can(permission):
            raise Forbidden(
                f"角色 {p.role.value} 无权执行此操作（{permission.value}）",
                f"role {p.role.value} may not do this ({permission.value})",
            )
        return p

    return check


StoreDep = Annotated[Store, Depends(store)]
GateDep = Annotated[Gate, Depends(gate)]
Now = Annotated[datetime, Depends(now)]

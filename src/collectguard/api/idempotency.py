"""`Idempotency-Key` on every POST: a retry returns the first answer and never acts twice.

A key is scoped to the API key that sent it. The first request inserts an in-progress row (committed),
acts, then stores the response. A concurrent duplicate sees the in-progress row and gets 409 (retry
later); a row left in progress by a crash is taken over after STALE_AFTER seconds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collectguard.api.models import IdempotencyRow
from collectguard.auth.service import authenticate
from collectguard.db.store import Store
from collectguard.errors import CollectGuardError

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(seconds=60)


def _error(status: int, code: str, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"code": code, "message_zh": zh, "message_en": en, "field": HEADER}, status_code=status)


class IdempotencyMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: Any, store: Store) -> None:
        super().__init__(app)
        self.store = store

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return await call_next(request)
        if len(key) > 200:
            return _error(422, "invalid", "幂等键过长", "Idempotency-Key is longer than 200 characters")
        body = await request.body()
        fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body).hexdigest()
        now = datetime.now(UTC)
        try:
            with self.store.read() as session:
                principal = authenticate(session, _token(request), now)
        except CollectGuardError:
            return await call_next(request)  # the route answers 401
        try:
            with self.store.transaction() as session:
                row = session.get(IdempotencyRow, (principal.key_id, key))
                if row is not None:
                    if row.fingerprint != fingerprint:
                        return _error(422, "idempotency-key-reused", "该幂等键已用于不同的请求",
                                      "this Idempotency-Key was used for a different request")
                    if row.status is not None:
                        return JSONResponse(row.body, status_code=row.status, headers={"Idempotent-Replayed": "true"})
                    if now - row.created_at < STALE_AFTER:
                        return _error(409, "idempotency-in-progress", "相同请求正在处理，请稍后重试",
                                      "the same request is in progress; retry shortly")
                    row.created_at = now  # abandoned by a crash: take it over
                else:
                    session.add(IdempotencyRow(key_id=principal.key_id, key=key, fingerprint=fingerprint, created_at=now))
        except IntegrityError:
            return _error(409, "idempotency-in-progress", "相同请求正在处理，请稍后重试", "the same request is in progress; retry shortly")
        response = await call_next(request)
        chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
        raw = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        with self.store.transaction() as session:
            row = session.get(IdempotencyRow, (principal.key_id, key))
            if row is not None:
                if response.status_code >= 500:
                    session.delete(row)  # let a retry act again
                else:
                    row.status = response.status_code
                    row.body = json.loads(raw) if raw else None
        return Response(raw, status_code=response.status_code, headers=dict(response.headers),
                        media_type=response.media_type)


def _token(request: Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-API-Key")

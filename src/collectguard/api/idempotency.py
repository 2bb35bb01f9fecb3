"""`Idempotency-Key` on every POST: a retry returns the first answer and never acts twice.

A key is scoped to the API key that sent it. The first request inserts an in-progress row (committed),
acts, then stores the response before the caller sees it. A retry with the same body — the same JSON,
however it is serialised (see `canonical`) — gets the stored answer (`Idempotent-Replayed: true`); the same
key with another body is a 422 (`idempotency-key-reused`); a concurrent duplicate sees the in-progress row
and gets 409 (retry later).
An answer of 500 or more is not stored: its row is deleted so that a retry acts again.

A plain ASGI middleware, not Starlette's BaseHTTPMiddleware (which costs a task group and memory streams
on every request): a request without the header, or not a POST, is passed on untouched. Database work
runs in the thread pool, never on the event loop.

Database failures never answer 500 and never leave a row that blocks retries for good:
- failing to read or insert the row (database down, disk full, read-only): 503 `db-unavailable`, nothing
  was done, so a retry is safe;
- failing to store the answer, or to delete the row of a failed request: the caller still gets the real
  answer, the row is deleted when the database allows it, and otherwise this process remembers it as
  abandoned and lets the next request with that key take it over at once; other processes take over an
  in-progress row after STALE_AFTER seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, Headers
from starlette.responses import JSONResponse

from collectguard.api.deps import token_of
from collectguard.api.models import IdempotencyRow
from collectguard.auth.service import authenticate_cached, cached_principal
from collectguard.db.store import Store
from collectguard.errors import CollectGuardError, Unavailable

HEADER = "Idempotency-Key"
_HEADER = HEADER.lower().encode("latin-1")
STALE_AFTER = timedelta(seconds=60)
MAX_KEY = 200

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DB_ERRORS = (DBAPIError, Unavailable)


def _error(status: int, code: str, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"code": code, "message_zh": zh, "message_en": en, "field": HEADER}, status_code=status)


def db_unavailable() -> JSONResponse:
    return JSONResponse(
        {"code": "db-unavailable", "message_zh": "数据库暂不可用，请重试", "message_en": "database unavailable; retry",
         "field": None},
        status_code=503,
    )


def _in_progress() -> JSONResponse:
    return _error(409, "idempotency-in-progress", "相同请求正在处理，请稍后重试",
                  "the same request is in progress; retry shortly")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store
        # rows this process left in progress because the database refused to finish or delete them:
        # the next request with the same key takes them over at once
        self._abandoned: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                raw_key = value
                break
        if not raw_key:
            await self.app(scope, receive, send)
            return
        await self._idempotent(scope, receive, send, raw_key.decode("latin-1"))

    async def _idempotent(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        if len(key) > MAX_KEY:
            await _error(422, "invalid", "幂等键过长", "Idempotency-Key is longer than 200 characters")(scope, receive, send)
            return
        read = await _read_body(receive)
        if read is None:  # the client went away before sending the whole body: nothing to act on
            return
        body, replay = read
        fingerprint = hashlib.sha256(f"POST {URL(scope=scope).path}\n".encode() + canonical(body)).hexdigest()
        now = datetime.now(UTC)
        token = token_of(Headers(scope=scope))
        try:
            principal = cached_principal(self.store, token, now)
            if principal is None:
                principal = await run_in_threadpool(authenticate_cached, self.store, token, now)
        except DB_ERRORS:
            await db_unavailable()(scope, replay, send)
            return
        except CollectGuardError:
            await self.app(scope, replay, send)  # the route answers 401
            return
        ident = (principal.key_id, key)
        abandoned = ident in self._abandoned
        self._abandoned.discard(ident)  # one request takes it over, not every concurrent retry
        try:
            early = await run_in_threadpool(self._begin, ident, fingerprint, now, abandoned)
        except IntegrityError:
            early = _in_progress()  # a concurrent duplicate inserted the row first
        except DB_ERRORS:
            if abandoned:
                self._abandoned.add(ident)
            early = db_unavailable()
        if early is not None:
            await early(scope, replay, send)
            return
        await self._act(scope, replay, send, ident)

    def _begin(self, ident: tuple[str, str], fingerprint: str, now: datetime, abandoned: bool) -> JSONResponse | None:
        """Claim the key (None: go on and act) or the answer to give instead. A new key, the usual case, is
        one INSERT; an IntegrityError from the second INSERT means a concurrent duplicate won (409)."""
        key = {"k_id": ident[0], "k": ident[1]}
        claim = {"key_id": ident[0], "key": ident[1], "fingerprint": fingerprint, "created_at": now}
        try:
            with self.store.engine.begin() as conn:
                conn.execute(_INSERT, claim)
            return None
        except IntegrityError:
            pass  # the key was used before: look at what it holds
        with self.store.engine.begin() as conn:
            row = conn.execute(_SELECT, key).one_or_none()
            if row is None:  # deleted since (its request failed): claim it afresh
                conn.execute(_INSERT, claim)
                return None
            # take it over only if no one else did since it was read (PostgreSQL does not serialise this)
            retake = {**key, "fp": fingerprint, "at": now, "was": row.created_at}
            if abandoned and row.status is None:  # left by this process after a failure: never answered
                return None if conn.execute(_RETAKE, retake).rowcount == 1 else _in_progress()
            if row.fingerprint != fingerprint:
                return _error(422, "idempotency-key-reused", "该幂等键已用于不同的请求",
                              "this Idempotency-Key was used for a different request")
            if row.status is not None:
                return JSONResponse(row.body, status_code=row.status, headers={"Idempotent-Replayed": "true"})
            if now - row.created_at < STALE_AFTER:
                return _in_progress()
            # abandoned by a crash: take it over
            return None if conn.execute(_RETAKE, retake).rowcount == 1 else _in_progress()

    async def _act(self, scope: Scope, receive: Receive, send: Send, ident: tuple[str, str]) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        settled = False

        async def capture(message: Message) -> None:
            nonlocal start, settled
            if settled:  # after the answer (nothing is expected here for an http response)
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            raw = b"".join(chunks)
            with anyio.CancelScope(shield=True):
                await self._settle(ident, start["status"], raw)
            settled = True
            await send(start)
            await send({"type": "http.response.body", "body": raw, "more_body": False})

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if not settled:
                with anyio.CancelScope(shield=True):
                    await self._settle(ident, 500, b"")
            raise

    async def _settle(self, ident: tuple[str, str], status: int, raw: bytes) -> None:
        """Store the answer (or delete the row when it is not to be replayed); never raises."""
        try:
            answer = json.loads(raw) if raw and status < 500 else None
        except ValueError:
            answer = None
        keep = status < 500 and (answer is not None or not raw)
        try:
            await run_in_threadpool(self._finish, ident, status if keep else None, answer)
            return
        except Exception:  # noqa: BLE001 - the caller still gets its answer
            pass
        try:
            await run_in_threadpool(self._finish, ident, None, None)
        except Exception:  # noqa: BLE001
            self._abandoned.add(ident)

    def _finish(self, ident: tuple[str, str], status: int | None, body: Any) -> None:
        """Store the answer; with `status` None, delete the row so that a retry acts again."""
        key = {"k_id": ident[0], "k": ident[1]}
        with self.store.engine.begin() as conn:
            if status is None:
                conn.execute(_DELETE, key)
            else:
                conn.execute(_STORE, {**key, "st": status, "bd": body})


_R = IdempotencyRow
_WHERE = (_R.key_id == bindparam("k_id")) & (_R.key == bindparam("k"))
# Core statements on the write engine: the ORM unit of work cost ~1 ms per transaction on 2 cores.
_INSERT = insert(_R)
_SELECT = select(_R.fingerprint, _R.status, _R.body, _R.created_at).where(_WHERE)
_RETAKE = (update(_R).where(_WHERE, _R.status.is_(None), _R.created_at == bindparam("was"))
           .values(fingerprint=bindparam("fp"), created_at=bindparam("at")))
_STORE = update(_R).where(_WHERE).values(status=bindparam("st"), body=bindparam("bd"))
_DELETE = delete(_R).where(_WHERE)


def canonical(body: bytes) -> bytes:
    """What a request's fingerprint is taken over: a JSON body in canonical form (keys sorted, no insignificant
    whitespace, ASCII escapes), so that a retry that serialises the same JSON differently is the same request;
    any other body (not JSON, or nested too deep to parse) as its bytes."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    except (ValueError, RecursionError):
        return body


async def _read_body(receive: Receive) -> tuple[bytes, Receive] | None:
    """The whole request body, and a `receive` that hands it to the app once, then defers to the server;
    None when the client disconnected first."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(parts)
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay

"""Verified API keys, kept in process for a moment so that a busy dialer is not looked up per request.

What is kept is the key's *row* (its SM3 secret hash, role, institution, agency, expiry and revocation), never
a verdict: every request still hashes the secret it presents and compares it with the stored hash in
constant time (`hmac.compare_digest`), and checks expiry and revocation against the request's own clock.
A wrong secret never passes, and a key id that does not exist is never remembered (a key issued in another
process works at once).

Revocation and expiry, and how long they take:
- Expiry is checked on every request against the kept `expires_at`: it takes effect at once, everywhere.
- A revocation made in this process (`auth.service.revoke`) drops the kept row at once and again when its
  transaction commits, and a lookup that raced with it is not kept (a generation count): the next request
  reads the database and is refused.
- A revocation made in another process (another uvicorn worker, another server) is seen within `TTL_S`
  seconds (2 s): a kept row is used only that long after it was read, then read again. Two seconds was
  chosen over a per-request version check because that check is itself a database round trip (the cost
  the cache removes), while an operator who revokes a leaked key cannot act faster than that anyway; it
  is the same bound for every process, and `TTL_S = 0` turns the cache off.

Caches are per database (by URL), so two apps in one process over different databases never share one.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from collectguard.auth.roles import Principal, Role

TTL_S = 2.0
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class KeyState:
    """What authentication needs of an `api_keys` row."""

    secret_hash: str
    principal: Principal
    expires_at: datetime | None
    revoked: bool


class KeyCache:
    def __init__(self, ttl_s: float = TTL_S, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, KeyState]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # moves on every forget: a lookup begun before it is not kept

    def get(self, key_id: str) -> KeyState | None:
        hit = self._entries.get(key_id)
        if hit is None:
            return None
        if time.monotonic() - hit[0] >= self.ttl_s:
            self._entries.pop(key_id, None)
            return None
        return hit[1]

    def put(self, key_id: str, state: KeyState, generation: int, read_at: float) -> None:
        """Keep `state`, read at monotonic time `read_at`, unless a forget happened since `generation`."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # a flood of distinct keys: start again rather than grow
            self._entries[key_id] = (read_at, state)

    def forget(self, key_id: str | None = None) -> None:
        """Drop one key (or all): the next request reads the database."""
        with self._lock:
            self.generation += 1
            if key_id is None:
                self._entries.clear()
            else:
                self._entries.pop(key_id, None)


_caches: dict[str, KeyCache] = {}
_by_engine: weakref.WeakKeyDictionary[Engine, KeyCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> KeyCache:
    """The cache of the database behind `engine`: one per database URL, so a store's read and write
    engines, and two stores over one database in this process, share it."""
    cache = _by_engine.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(engine.url.render_as_string(hide_password=False), KeyCache())
            _by_engine[engine] = cache
    return cache


def state_of(row: object) -> KeyState:
    from collectguard.auth.models import ApiKeyRow

    assert isinstance(row, ApiKeyRow)
    return KeyState(
        secret_hash=row.secret_hash,
        principal=Principal(key_id=row.id, role=Role(row.role), institution_id=row.institution_id or "",
                            agency_id=row.agency_id, label=row.label),
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
    )

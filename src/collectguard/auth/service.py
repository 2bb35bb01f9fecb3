"""Create, authenticate, list and revoke API keys. Tokens look like `cgk_<id>.<secret>`."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from collectguard.auth.cache import KeyState, cache_for, state_of
from collectguard.auth.models import ApiKeyRow
from collectguard.auth.roles import Principal, Role
from collectguard.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from collectguard.registry import models as m
from collectguard.registry.service import Registry

if TYPE_CHECKING:
    from collectguard.db.store import Store

PREFIX = "cgk_"
__all__ = ["Forbidden", "IssuedKey", "Unauthenticated", "authenticate", "authenticate_cached", "cached_principal", "issue",
           "list_keys", "revoke"]


def _hash(secret: str) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(secret.encode("ascii"))
    return h.finalize().hex()


@dataclass(frozen=True)
class IssuedKey:
    token: str  # shown once
    key_id: str
    role: Role
    institution_id: str
    agency_id: str | None
    expires_at: datetime | None


def issue(
    registry: Registry,
    *,
    role: Role,
    institution_id: str,
    agency_id: str | None = None,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    session = registry.session
    registry.get(m.Institution, institution_id, kind="institution", field="institution")
    if role is Role.AGENCY_OPERATOR and agency_id is None:
        raise InvalidInput("催收机构操作员密钥须指定机构", "an agency_operator key needs an agency", field="agency")
    if agency_id is not None:
        registry.get(m.Agency, agency_id, kind="agency", field="agency")
        if session.get(m.AgencyListing, (institution_id, agency_id)) is None and not _is_sub(session, institution_id, agency_id):
            raise InvalidInput("该催收机构不在本机构名单中", "the agency is not on this institution's list", field="agency")
    if expires_at is not None and expires_at <= registry.at:
        raise InvalidInput("到期时间须在未来", "expires_at must be in the future", field="expires_at")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKeyRow(id=key_id, secret_hash=_hash(secret), role=role, institution_id=institution_id, agency_id=agency_id,
                  label=label, created_at=registry.at, expires_at=expires_at)
    )
    registry.record("auth:key:issued", key_id, {"role": role, "agency": agency_id, "label": label,
                                                "expires_at": expires_at}, institution_id)
    return IssuedKey(f"{PREFIX}{key_id}.{secret}", key_id, role, institution_id, agency_id, expires_at)


def _is_sub(session: Session, institution_id: str, agency_id: str) -> bool:
    return session.get(m.SubcontractorApproval, (institution_id, agency_id)) is not None


def _split(token: str | None) -> tuple[str, str]:
    if not token or not token.startswith(PREFIX) or "." not in token:
        raise Unauthenticated("缺少或无效的 API 密钥", "missing or malformed API key", field="Authorization")
    key_id, _, secret = token[len(PREFIX):].partition(".")
    return key_id, secret


def _verify(state: KeyState | None, secret: str, at: datetime) -> Principal:
    """The principal of a key row, if `secret` is its secret (constant-time) and it is live at `at`."""
    if state is None or not hmac.compare_digest(state.secret_hash, _hash(secret)):
        raise Unauthenticated("API 密钥无效", "invalid API key", field="Authorization")
    if state.revoked:
        raise Unauthenticated("API 密钥已吊销", "API key revoked", field="Authorization")
    if state.expires_at is not None and state.expires_at <= at:
        raise Unauthenticated("API 密钥已过期", "API key expired", field="Authorization")
    return state.principal


def authenticate(session: Session, token: str | None, at: datetime) -> Principal:
    """Authenticate against the database, uncached."""
    key_id, secret = _split(token)
    row = session.get(ApiKeyRow, key_id)
    return _verify(state_of(row) if row is not None else None, secret, at)


def cached_principal(store: Store, token: str | None, at: datetime) -> Principal | None:
    """The principal from the in-process key cache (see auth.cache), None when the key must be read.

    Raises Unauthenticated for a malformed token or a kept key that the secret does not open, or that is
    revoked or expired. Never blocks: no database access."""
    key_id, secret = _split(token)
    state = cache_for(store.read_engine).get(key_id)
    return None if state is None else _verify(state, secret, at)


def authenticate_cached(store: Store, token: str | None, at: datetime) -> Principal:
    """Authenticate with the in-process key cache: the key's row is read at most every `TTL_S` seconds
    per process; the secret, revocation and expiry are checked on every call (auth.cache)."""
    key_id, secret = _split(token)
    cache = cache_for(store.read_engine)
    state = cache.get(key_id)
    if state is None:
        generation, read_at = cache.generation, time.monotonic()
        with store.read() as session:
            row = session.get(ApiKeyRow, key_id)
            state = state_of(row) if row is not None else None
        if state is not None:
            cache.put(key_id, state, generation, read_at)
    return _verify(state, secret, at)


def revoke(registry: Registry, key_id: str, institution_id: str) -> ApiKeyRow:
    row = registry.session.get(ApiKeyRow, key_id)
    if row is None or row.institution_id != institution_id:
        raise NotFound("api key", key_id, field="key_id")
    if row.revoked_at is None:
        row.revoked_at = registry.at
        registry.record("auth:key:revoked", key_id, {}, institution_id)
    _forget_on_commit(registry.session, key_id)
    return row


def _forget_on_commit(session: Session, key_id: str) -> None:
    """Drop the kept row of `key_id` in this process now and once the revocation commits (auth.cache)."""
    cache = cache_for(session.get_bind().engine)
    cache.forget(key_id)
    event.listen(session, "after_commit", lambda _s: cache.forget(key_id), once=True)


def list_keys(session: Session, institution_id: str) -> list[ApiKeyRow]:
    return list(
        session.execute(select(ApiKeyRow).where(ApiKeyRow.institution_id == institution_id).order_by(ApiKeyRow.created_at))
        .scalars()
    )

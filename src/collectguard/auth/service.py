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
from collectguard.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry.unit import Unit

if TYPE_CHECKING:
    from collectguard.db.store import Store

PREFIX = "cgk_"
__all__ = ["Forbidden", "IssuedKey", "Unauthenticated", "authenticate", "authenticate_cached", "cached_principal", "issue",
           "list_keys", "revoke"]


def _hash(secret: str) -> str:
    """SM3 of the secret. Any text hashes (issued secrets are ASCII; a presented one may be anything a header
    carries), so a non-ASCII secret is simply a wrong one, never an error."""
    h = hashes.Hash(hashes.SM3())
    h.update(secret.encode("utf-8", "surrogatepass"))
    return h.finalize().hex()


_NO_KEY = _hash("no such key")  # compared against when the key id is unknown: the same work and answer


@dataclass(frozen=True)
class IssuedKey:
    token: str  # shown once
    key_id: str
    role: Role
    institution_id: str
    agency_id: str | None
    expires_at: datetime | None


def check_binding(unit: Unit, role: Role, institution_id: str | None, agency_id: str | None) -> None:
    """Who a key or a person acts for, by role: an `agency_admin` for one agency and no institution; every other
    role for an institution — an agency operator also for one agency the institution entrusts (on its name list
    under an agreement, or approved as its subcontractor). Shared by API keys and console users."""
    if role is Role.AGENCY_ADMIN:
        if agency_id is None or institution_id is not None:
            raise InvalidInput("催收机构管理员只属于一家催收机构，不属于任何金融机构",
                               "an agency_admin belongs to one agency and to no institution", field="agency")
        unit.get(m.Agency, agency_id, kind="agency", field="agency")
        return
    if institution_id is None:
        raise InvalidInput("须指定金融机构", "an institution is required", field="institution")
    unit.get(m.Institution, institution_id, kind="institution", field="institution")
    if role is Role.AGENCY_OPERATOR and agency_id is None:
        raise InvalidInput("催收机构操作员须指定催收机构", "an agency_operator needs an agency", field="agency")
    if agency_id is not None:
        unit.get(m.Agency, agency_id, kind="agency", field="agency")
        if not entrusts(unit.session, institution_id, agency_id):
            raise InvalidInput("该催收机构不在本机构名单中或无委托协议",
                               "the agency is not on this institution's list under an agreement", field="agency")


def issue(
    registry: Unit,
    *,
    role: Role,
    institution_id: str | None,
    agency_id: str | None = None,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Issue a key. An `agency_admin` key is the agency's own (no institution): only the platform issues it
    (this function, from the CLI), never an institution over the API. An institution's agency-bound key needs
    the agency on its name list under an agreement (or approved as its subcontractor): an institution cannot
    mint itself a key for an agency it does not entrust."""
    session = registry.session
    check_binding(registry, role, institution_id, agency_id)
    if expires_at is not None and expires_at <= registry.at:
        raise InvalidInput("到期时间须在未来", "expires_at must be in the future", field="expires_at")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKeyRow(id=key_id, secret_hash=_hash(secret), role=role, institution_id=institution_id, agency_id=agency_id,
                  label=label, created_at=registry.at, expires_at=expires_at)
    )
    detail = {"role": role, "agency": agency_id, "label": label, "expires_at": expires_at}
    if institution_id is not None:
        registry.record(Tag.KEY_ISSUED, key_id, detail, institution_id)
    else:
        registry.record_for_agency(Tag.KEY_ISSUED, key_id, detail, agency_id or "")
    return IssuedKey(f"{PREFIX}{key_id}.{secret}", key_id, role, institution_id or "", agency_id, expires_at)


def entrusts(session: Session, institution_id: str, agency_id: str, *, listing: bool = True) -> bool:
    """The institution has an agreement with the agency (and, with `listing`, has it on its name list, any
    status) — or approved it as a subcontractor of an agency it so entrusts."""
    agency = session.get(m.Agency, agency_id)
    if agency is None:
        return False
    if agency.parent_id is not None and _is_sub(session, institution_id, agency_id):
        return entrusts(session, institution_id, agency.parent_id, listing=listing)
    agreed = session.execute(select(m.Agreement.id).where(m.Agreement.institution_id == institution_id,
                                                          m.Agreement.agency_id == agency_id).limit(1)).first()
    listed = not listing or session.get(m.AgencyListing, (institution_id, agency_id)) is not None
    return listed and agreed is not None


def _is_sub(session: Session, institution_id: str, agency_id: str) -> bool:
    return session.get(m.SubcontractorApproval, (institution_id, agency_id)) is not None


def _split(token: str | None) -> tuple[str, str]:
    if not token or not token.startswith(PREFIX) or "." not in token:
        raise Unauthenticated("缺少或无效的 API 密钥", "missing or malformed API key", field="Authorization")
    key_id, _, secret = token[len(PREFIX):].partition(".")
    return key_id, secret


def _verify(state: KeyState | None, secret: str, at: datetime) -> Principal:
    """The principal of a key row, if `secret` is its secret (constant-time) and it is live at `at`."""
    # An unknown key id and a wrong secret take the same work and get the same answer: neither tells which
    # key ids exist.
    matches = hmac.compare_digest(state.secret_hash if state is not None else _NO_KEY, _hash(secret))
    if state is None or not matches:
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


def revoke(registry: Unit, key_id: str, institution_id: str) -> ApiKeyRow:
    row = registry.session.get(ApiKeyRow, key_id)
    if row is None or row.institution_id != institution_id:
        raise NotFound("api key", key_id, field="key_id")
    if row.revoked_at is None:
        if row.role == Role.INSTITUTION_ADMIN and not _another_live_admin(registry, row):
            raise Conflict(
                "不能吊销本机构最后一个有效的管理员密钥：请先签发另一个管理员密钥",
                "the last active institution_admin key of an institution cannot be revoked: issue another "
                "admin key first", field="key_id", code="last-admin-key")
        row.revoked_at = registry.at
        registry.record(Tag.KEY_REVOKED, key_id, {}, institution_id)
    _forget_on_commit(registry.session, key_id)
    return row


def _another_live_admin(registry: Unit, row: ApiKeyRow) -> bool:
    """Whether the institution keeps another admin key that is neither revoked nor expired. All its live admin
    rows are locked in id order (PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), so two admins
    revoking each other at once cannot both succeed: the second sees the first's revocation."""
    live = registry.session.execute(
        select(ApiKeyRow.id, ApiKeyRow.expires_at).where(
            ApiKeyRow.institution_id == row.institution_id, ApiKeyRow.role == Role.INSTITUTION_ADMIN.value,
            ApiKeyRow.revoked_at.is_(None))
        .order_by(ApiKeyRow.id).with_for_update()
    ).all()
    return any(key_id != row.id and (expires_at is None or expires_at > registry.at) for key_id, expires_at in live)


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

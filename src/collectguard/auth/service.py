"""Create, authenticate, list and revoke API keys. Tokens look like `cgk_<id>.<secret>`."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.auth.models import ApiKeyRow
from collectguard.auth.roles import Principal, Role
from collectguard.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from collectguard.registry import models as m
from collectguard.registry.service import Registry

PREFIX = "cgk_"
__all__ = ["Forbidden", "IssuedKey", "Unauthenticated", "authenticate", "issue", "list_keys", "revoke"]


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


def authenticate(session: Session, token: str | None, at: datetime) -> Principal:
    if not token or not token.startswith(PREFIX) or "." not in token:
        raise Unauthenticated("缺少或无效的 API 密钥", "missing or malformed API key", field="Authorization")
    key_id, _, secret = token[len(PREFIX):].partition(".")
    row = session.get(ApiKeyRow, key_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
        raise Unauthenticated("API 密钥无效", "invalid API key", field="Authorization")
    if row.revoked_at is not None:
        raise Unauthenticated("API 密钥已吊销", "API key revoked", field="Authorization")
    if row.expires_at is not None and row.expires_at <= at:
        raise Unauthenticated("API 密钥已过期", "API key expired", field="Authorization")
    return Principal(key_id=row.id, role=Role(row.role), institution_id=row.institution_id, agency_id=row.agency_id,
                     label=row.label)


def revoke(registry: Registry, key_id: str, institution_id: str) -> ApiKeyRow:
    row = registry.session.get(ApiKeyRow, key_id)
    if row is None or row.institution_id != institution_id:
        raise NotFound("api key", key_id, field="key_id")
    if row.revoked_at is None:
        row.revoked_at = registry.at
        registry.record("auth:key:revoked", key_id, {}, institution_id)
    return row


def list_keys(session: Session, institution_id: str) -> list[ApiKeyRow]:
    return list(
        session.execute(select(ApiKeyRow).where(ApiKeyRow.institution_id == institution_id).order_by(ApiKeyRow.created_at))
        .scalars()
    )

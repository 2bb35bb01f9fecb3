"""API keys: issued by an institution admin, shown once, expiring and revocable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import AwareDatetime, BaseModel

from collectguard.api.deps import Now, StoreDep, UnitsDep, require
from collectguard.auth import service as keys
from collectguard.auth.roles import Permission, Principal, Role
from collectguard.errors import Forbidden
from collectguard.fields import Instant, Label
from collectguard.registry.schemas import Ident, Strict

router = APIRouter(prefix="/v1/keys", tags=["keys 密钥"])
Admin = Annotated[Principal, Depends(require(Permission.KEYS_MANAGE))]


class KeyIn(Strict):
    role: Role
    agency: Ident | None = None
    label: Label | None = None
    expires_at: Instant | None = None


class KeyOut(BaseModel):
    key_id: str
    role: Role
    institution_id: str
    agency_id: str | None
    label: str | None
    created_at: AwareDatetime
    expires_at: AwareDatetime | None
    revoked_at: AwareDatetime | None


class IssuedOut(BaseModel):
    token: str
    key_id: str
    role: Role
    agency_id: str | None
    expires_at: AwareDatetime | None
    notice: str = "该密钥只显示一次，请妥善保存 / this token is shown only once; store it safely"


def _out(row: keys.ApiKeyRow) -> KeyOut:
    return KeyOut(key_id=row.id, role=Role(row.role), institution_id=row.institution_id, agency_id=row.agency_id,
                  label=row.label, created_at=row.created_at, expires_at=row.expires_at, revoked_at=row.revoked_at)


@router.post("", response_model=IssuedOut, status_code=201, summary="签发密钥 Issue a key")
def issue(body: KeyIn, p: Admin, units: UnitsDep, at: Now) -> IssuedOut:
    if body.role is Role.AGENCY_ADMIN:
        raise Forbidden("催收机构自有密钥只能由平台签发（collectguard keys create --role agency_admin --agency …）",
                        "an agency's own key is issued only by the platform (collectguard keys create --role "
                        "agency_admin --agency …), never by an institution", field="role")
    with units.write(at) as unit:
        issued = keys.issue(unit, role=body.role, institution_id=p.institution_id,
                            agency_id=body.agency, label=body.label, expires_at=body.expires_at)
    return IssuedOut(token=issued.token, key_id=issued.key_id, role=issued.role, agency_id=issued.agency_id,
                     expires_at=issued.expires_at)


@router.get("", response_model=list[KeyOut], summary="密钥列表 List keys (never the secrets)")
def list_keys(p: Admin, store: StoreDep) -> list[KeyOut]:
    with store.read() as session:
        return [_out(r) for r in keys.list_keys(session, p.institution_id)]


@router.delete("/{key_id}", response_model=KeyOut, summary="吊销密钥 Revoke a key")
def revoke(key_id: Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]+$")], p: Admin, units: UnitsDep, at: Now) -> KeyOut:
    with units.write(at) as unit:
        return _out(keys.revoke(unit, key_id, p.institution_id))

"""Personal data of debtors and contacts, written and read in one place: encrypted at rest with the
store's keyring (SM4-GCM by default), a keyed hash (HMAC-SM3) beside phones and ID numbers for exact
lookups, and masked display (art. 19(二)3, 20). Never log what `read_personal` returns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from collectguard.privacy.crypto import decrypt, encrypt, needs_rotation, reencrypt
from collectguard.privacy.keys import Keyring
from collectguard.privacy.kinds import PiiKind
from collectguard.privacy.lookup import blind_index
from collectguard.privacy.masking import mask
from collectguard.registry import models as m

DEBTOR_FIELDS = {"name": PiiKind.NAME, "phone": PiiKind.PHONE, "id_number": PiiKind.ID_NUMBER,
                 "address": PiiKind.ADDRESS}
CONTACT_FIELDS = {"name": PiiKind.NAME, "phone": PiiKind.PHONE}
INDEXED = {"phone": "phone_index", "id_number": "id_number_index"}
PERSONAL_FIELDS = tuple(DEBTOR_FIELDS)
TOKEN_PREFIX = "cg1."


def keyring_of(session: Session) -> Keyring:
    keyring = session.info.get("keyring")
    if keyring is None:
        raise RuntimeError("this session has no keyring: open it through Store.transaction()")
    return keyring


def _fields(row: m.Debtor | m.Contact) -> dict[str, PiiKind]:
    return DEBTOR_FIELDS if isinstance(row, m.Debtor) else CONTACT_FIELDS


def _context(row: m.Debtor | m.Contact, field: str) -> str:
    return f"{row.__tablename__}.{field}"


def write_personal(session: Session, row: m.Debtor | m.Contact, values: dict[str, str | None]) -> None:
    """Encrypt and store the given personal fields (None clears one), with their lookup indexes."""
    keyring = keyring_of(session)
    fields = _fields(row)
    for field, value in values.items():
        if field not in fields:
            raise KeyError(field)
        setattr(row, field, None if value is None else encrypt(keyring, value, context=_context(row, field)))
        index = INDEXED.get(field)
        if index and hasattr(row, index):
            setattr(row, index, None if value is None else blind_index(keyring, value, kind=fields[field]))


def read_personal(row: m.Debtor | m.Contact, keyring: Keyring | None = None) -> dict[str, str | None]:
    """The personal fields in clear, for masking or an audited reveal."""
    if keyring is None:
        session = object_session(row)
        if session is None:
            raise RuntimeError("detached row: pass the keyring")
        keyring = keyring_of(session)
    return {field: _clear(keyring, row, field) for field in _fields(row)}


def _clear(keyring: Keyring, row: m.Debtor | m.Contact, field: str) -> str | None:
    value = getattr(row, field)
    if value is None or not value.startswith(TOKEN_PREFIX):
        return value  # None, or plaintext stored before encryption at rest (revision 0005): rotate encrypts it
    return decrypt(keyring, value, context=_context(row, field))


def masked_personal(row: m.Debtor | m.Contact, keyring: Keyring | None = None) -> dict[str, str | None]:
    """The personal fields as anyone may see them: 张*, 138****8000, 110***********1234."""
    clear = read_personal(row, keyring)
    return {field: mask(kind, clear[field]) for field, kind in _fields(row).items()}


def find_debtors(session: Session, *, phone: str | None = None, id_number: str | None = None) -> list[m.Debtor]:
    """Exact-match lookup through the keyed hash, without decrypting anything."""
    keyring = keyring_of(session)
    stmt = select(m.Debtor)
    if phone is not None:
        stmt = stmt.where(m.Debtor.phone_index == blind_index(keyring, phone, kind=PiiKind.PHONE))
    if id_number is not None:
        stmt = stmt.where(m.Debtor.id_number_index == blind_index(keyring, id_number, kind=PiiKind.ID_NUMBER))
    return list(session.execute(stmt).scalars())


def rotate_rows(session: Session, model: Any, *, batch: int = 500, after: str = "") -> tuple[int, str | None]:
    """Re-encrypt one batch of rows under the current key; returns (rows changed, last id) so callers can
    commit batch by batch while the service keeps running (old keys still decrypt meanwhile)."""
    keyring = keyring_of(session)
    fields = DEBTOR_FIELDS if model is m.Debtor else CONTACT_FIELDS
    rows = session.execute(select(model).where(model.id > after).order_by(model.id).limit(batch)).scalars().all()
    changed = 0
    for row in rows:
        touched = False
        for field in fields:
            token = getattr(row, field)
            if token is None:
                continue
            if not token.startswith(TOKEN_PREFIX):  # legacy plaintext
                write_personal(session, row, {field: token})
                touched = True
            elif needs_rotation(keyring, token):
                setattr(row, field, reencrypt(keyring, token, context=_context(row, field)))
                touched = True
        changed += touched
    return changed, (rows[-1].id if rows else None)

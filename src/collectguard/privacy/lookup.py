"""Blind indexes (盲索引): exact-match lookups over encrypted values.

Why: ciphertexts are randomised (fresh nonce each time), so "find the debtor with phone X" cannot
compare ciphertexts. A keyed hash of the *normalised* value, stored beside the ciphertext, answers
equality without revealing the value; the key (`Keyring.hmac_key`) keeps it from being reversed by
hashing every possible phone number, which a plain hash of an 11-digit number would allow.

HMAC-SM3 over ``kind \\0 normalised value``: the kind separates domains, so the same digits as a
phone and as an ID never share an index.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from cryptography.hazmat.primitives import hashes, hmac

from collectguard.errors import InvalidInput
from collectguard.privacy.keys import Keyring
from collectguard.privacy.kinds import PiiKind

DEFAULT_REGION = "CN"
_WS = re.compile(r"\s+")


def _normalise_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        # The value itself is not echoed: it is personal data.
        raise InvalidInput("无法解析电话号码", "cannot parse the phone number", field="phone") from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(kind: PiiKind | str, value: str) -> str:
    """The canonical form that equal values share.

    phone: E.164 (default region CN), so "+86 138 0013 8000" == "13800138000";
    id_number: NFKC, whitespace removed, upper-cased (a trailing x == X);
    name / address: NFKC, stripped, inner whitespace runs collapsed to one space;
    email: NFKC, stripped, lower-cased.
    """
    kind = _kind(kind)
    if not isinstance(value, str):
        raise InvalidInput("待索引的值应为字符串", "the value to index must be a string", field=kind.value)
    text = unicodedata.normalize("NFKC", value)
    if kind is PiiKind.PHONE:
        result = _normalise_phone(text)
    elif kind is PiiKind.ID_NUMBER:
        result = _WS.sub("", text).upper()
    elif kind is PiiKind.EMAIL:
        result = text.strip().lower()
    else:
        result = _WS.sub(" ", text.strip())
    if not result:
        raise InvalidInput("待索引的值为空", "the value to index is empty", field=kind.value)
    return result


def _kind(kind: PiiKind | str) -> PiiKind:
    try:
        return PiiKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in PiiKind)
        raise InvalidInput(
            f"未知的个人信息类别 {kind!r}（可选：{allowed}）",
            f"unknown kind {kind!r} (choose from: {allowed})",
            field="kind",
        ) from None


def blind_index(keyring: Keyring, value: str, *, kind: PiiKind | str) -> str:
    """Hex HMAC-SM3 of the normalised value under the keyring's hmac key (64 hex characters)."""
    kind = _kind(kind)
    mac = hmac.HMAC(keyring.hmac_key, hashes.SM3())
    mac.update(kind.value.encode("utf-8") + b"\0" + normalise(kind, value).encode("utf-8"))
    return mac.finalize().hex()

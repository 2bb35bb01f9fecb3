"""Authenticated encryption of personal data at rest (个人信息静态加密).

Token format (version 1), ASCII and dot-separated so it fits a text column and is self-describing::

    cg1.<key id>.<alg>.<base64url without padding of nonce(12) || ciphertext || tag(16)>

e.g. ``cg1.k2.sm4-gcm.q0Vb...``. Why self-describing: rotation needs to know, per row, which key
sealed a value (`key_id_of`, `needs_rotation`) without trying every key.

The associated data authenticated with every token is ``cg1 \\0 key id \\0 alg \\0 context``: the
`context` (e.g. ``"debtor.phone"``) binds a value to its column, so a ciphertext copied into another
column or row type fails to decrypt, and the header cannot be altered either.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from collectguard.privacy.errors import DecryptionError, KeyringError, PrivacyError
from collectguard.privacy.keys import Alg, DataKey, Keyring

VERSION = "cg1"
NONCE_BYTES = 12
TAG_BYTES = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


def _aad(key_id: str, alg: Alg, context: str) -> bytes:
    return "\0".join((VERSION, key_id, alg.value, context)).encode("utf-8")


def _check_context(context: str) -> None:
    if not isinstance(context, str) or not context:
        raise PrivacyError(
            "context 应为非空字符串，例如 'debtor.phone'",
            "context must be a non-empty string such as 'debtor.phone'",
            field="context",
        )


def _seal(key: DataKey, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if key.alg is Alg.AES_256_GCM:
        return AESGCM(key.key).encrypt(nonce, plaintext, aad)
    enc = Cipher(algorithms.SM4(key.key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    return enc.update(plaintext) + enc.finalize() + enc.tag


def _open(key: DataKey, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Raises `InvalidTag` on any tampering or context mismatch."""
    if key.alg is Alg.AES_256_GCM:
        return AESGCM(key.key).decrypt(nonce, sealed, aad)
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(key.key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(body) + dec.finalize()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    # urlsafe_b64decode silently drops characters outside the alphabet; refuse them instead.
    if not _B64URL.fullmatch(text):
        raise DecryptionError(
            "密文的 base64url 部分无效", "the token's base64url payload is invalid", field="token"
        )
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError(
            "密文的 base64url 部分无效", "the token's base64url payload is invalid", field="token"
        ) from None


def _parse(token: str) -> tuple[str, Alg, str]:
    """Split a token into (key id, alg, payload) or raise a `DecryptionError` saying what is wrong."""
    if not isinstance(token, str):
        raise DecryptionError("密文应为字符串", "the token must be a string", field="token")
    parts = token.split(".")
    if len(parts) != 4 or not all(parts):
        raise DecryptionError(
            "密文格式无效：应为 cg1.<密钥编号>.<算法>.<数据>",
            "malformed token: expected cg1.<key id>.<alg>.<payload>",
            field="token",
        )
    version, key_id, alg_name, payload = parts
    if version != VERSION:
        raise DecryptionError(
            f"不支持的密文版本 {version!r}（支持 {VERSION}）",
            f"unsupported token version {version!r} (supported: {VERSION})",
            field="token",
        )
    try:
        alg = Alg(alg_name)
    except ValueError:
        raise DecryptionError(
            f"密文中的算法 {alg_name!r} 不受支持",
            f"unsupported algorithm {alg_name!r} in token",
            field="token",
        ) from None
    return key_id, alg, payload


def encrypt(keyring: Keyring, plaintext: str, *, context: str) -> str:
    """Seal `plaintext` under the keyring's current key, bound to `context`; a fresh random nonce each call."""
    _check_context(context)
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be str")
    key = keyring.current
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _seal(key, nonce, plaintext.encode("utf-8"), _aad(key.key_id, key.alg, context))
    return f"{VERSION}.{key.key_id}.{key.alg.value}.{_b64url(nonce + sealed)}"


def decrypt(keyring: Keyring, token: str, *, context: str) -> str:
    """Open a token sealed by `encrypt` with the same `context`; any failure is a `DecryptionError`."""
    _check_context(context)
    key_id, alg, payload = _parse(token)
    try:
        key = keyring.get(key_id)
    except KeyringError:
        raise DecryptionError(
            f"密文由未知密钥 {key_id!r} 加密，密钥环中没有该密钥",
            f"the token was sealed with unknown key {key_id!r}, which is not in the keyring",
            field="token",
        ) from None
    if key.alg is not alg:
        raise DecryptionError(
            f"密文标注的算法 {alg.value} 与密钥 {key_id} 的算法 {key.alg.value} 不符",
            f"the token says {alg.value} but key {key_id} is {key.alg.value}",
            field="token",
        )
    raw = _unb64url(payload)
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("密文过短，已被截断", "the token is too short (truncated)", field="token")
    try:
        plain = _open(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key_id, alg, context))
    except InvalidTag:
        raise DecryptionError(
            f"密文校验失败：数据被篡改，或上下文不是 {context!r}",
            f"authentication failed: the token was tampered with, or its context is not {context!r}",
            field="token",
        ) from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - authenticated data we wrote is always UTF-8
        raise DecryptionError(
            "解密结果不是 UTF-8 文本", "the decrypted value is not UTF-8 text", field="token"
        ) from None


def key_id_of(token: str) -> str:
    """The id of the key that sealed `token` (no decryption, no key needed)."""
    return _parse(token)[0]


def needs_rotation(keyring: Keyring, token: str) -> bool:
    """True when `token` is not under the keyring's current key (so a rotation job should re-encrypt it)."""
    return key_id_of(token) != keyring.current_id


def reencrypt(keyring: Keyring, token: str, *, context: str) -> str:
    """Move `token` to the current key. Already-current tokens are verified and returned unchanged."""
    plaintext = decrypt(keyring, token, context=context)
    if not needs_rotation(keyring, token):
        return token
    return encrypt(keyring, plaintext, context=context)

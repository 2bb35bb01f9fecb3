"""Signing keys for ledger checkpoints (检查点签名密钥): SM2 by default, Ed25519 as the alternative.

SM2 (GB/T 32918) signs with SM3 and the standard signer id ``1234567812345678`` (GB/T 35276) through
`gmssl-pyx`, a C binding of GmSSL; Ed25519 through `cryptography`. The keys live outside the database —
a key file the database administrator cannot read — so that whoever can write the database still cannot
sign a checkpoint of a rewritten ledger.

Key file (JSON, mode 0600; `collectguard ledger keygen` writes it)::

    {"alg": "sm2", "key_id": "<16 hex>", "private_key": "<hex>", "public_key": "<hex>"}

Public key file (JSON; give it to whoever verifies)::

    {"alg": "sm2", "key_id": "<16 hex>", "public_key": "<hex>"}

`key_id` is the first 16 hex digits of SM3("<alg>:<public key hex>"); each checkpoint names the key that
signed it. Signatures are hex: DER (r, s) for SM2, the raw 64 bytes for Ed25519.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from collectguard.errors import CollectGuardError

ALGORITHMS = ("sm2", "ed25519")
DEFAULT_ALGORITHM = "sm2"
_PUBLIC_BYTES = {"sm2": 64, "ed25519": 32}
_PRIVATE_BYTES = {"sm2": 32, "ed25519": 32}
_HEX = re.compile(r"^(?:[0-9a-f]{2})+$")
_SELF_TEST = b"collectguard checkpoint key self-test"


class CheckpointKeyError(CollectGuardError):
    """A checkpoint key or public key file is missing, garbled, exposed or inconsistent (a server-side problem)."""

    status = 500
    code = "checkpoint-key"


def _key_error(zh: str, en: str, where: str | os.PathLike[str]) -> CheckpointKeyError:
    return CheckpointKeyError(f"{where}：{zh}", f"{where}: {en}", field=str(where))


def key_id(alg: str, public_key: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(f"{alg}:{public_key.hex()}".encode("ascii"))
    return h.finalize().hex()[:16]


@dataclass(frozen=True)
class PublicKey:
    """What a verifier holds: the algorithm and the public key; `key_id` names it in checkpoints."""

    alg: str
    public_key: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.alg, self.public_key)

    def verify(self, message: bytes, signature_hex: str) -> bool:
        """True when `signature_hex` is this key's signature of `message`; False for any malformed input."""
        if not isinstance(signature_hex, str) or not _HEX.match(signature_hex):
            return False
        signature = bytes.fromhex(signature_hex)
        if self.alg == "ed25519":
            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            except (InvalidSignature, ValueError):
                return False
            return True
        if not _der_signature(signature):
            return False
        from gmssl_pyx import GmsslInnerError, InvalidValueError, sm2_verify

        try:
            return bool(sm2_verify(self.public_key, message, signature))
        except (GmsslInnerError, InvalidValueError):
            return False

    def to_dict(self) -> dict[str, str]:
        return {"alg": self.alg, "key_id": self.key_id, "public_key": self.public_key.hex()}

    @classmethod
    def from_dict(cls, data: Any, where: str | os.PathLike[str]) -> PublicKey:
        if not isinstance(data, dict):
            raise _key_error("须为 JSON 对象", "must be a JSON object", where)
        alg = data.get("alg")
        if alg not in ALGORITHMS:
            raise _key_error(f"签名算法 {alg!r} 不受支持（可选：{', '.join(ALGORITHMS)}）",
                             f"unsupported signature algorithm {alg!r} (choose from: {', '.join(ALGORITHMS)})", where)
        public = _hex_bytes(data.get("public_key"), _PUBLIC_BYTES[alg], "public_key", where)
        key = cls(alg, public)
        if alg == "sm2":
            from gmssl_pyx import InvalidValueError, normalize_sm2_public_key

            try:
                normalize_sm2_public_key(public)  # on the curve
            except InvalidValueError:
                raise _key_error("公钥不在 SM2 曲线上", "public_key is not a point on the SM2 curve", where) from None
        if "key_id" in data and data["key_id"] != key.key_id:
            raise _key_error(f"key_id {data['key_id']!r} 与公钥不符（应为 {key.key_id}）",
                             f"key_id {data['key_id']!r} does not match the public key (it is {key.key_id})", where)
        return key

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> PublicKey:
        """A public key file, or a key file (its public half)."""
        return cls.from_dict(_read_json(path), path)


def public_keys(paths: str | None) -> dict[str, PublicKey]:
    """Public keys by key id from a list of files separated like PATH (`os.pathsep`), e.g. the value of
    COLLECTGUARD_CHECKPOINT_PUBLIC_KEY; empty for None or ""."""
    keys = [PublicKey.from_file(p) for p in (paths or "").split(os.pathsep) if p.strip()]
    return {k.key_id: k for k in keys}


@dataclass(frozen=True)
class SigningKey:
    """A private key and its public half. Never logged or printed (`repr` hides the private key)."""

    public: PublicKey
    private_key: bytes = field(repr=False)

    @property
    def alg(self) -> str:
        return self.public.alg

    @property
    def key_id(self) -> str:
        return self.public.key_id

    @classmethod
    def generate(cls, alg: str = DEFAULT_ALGORITHM) -> SigningKey:
        if alg == "ed25519":
            from cryptography.hazmat.primitives import serialization as ser

            private = Ed25519PrivateKey.generate()
            raw = private.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
            public = private.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
            return cls(PublicKey(alg, public), raw)
        if alg == "sm2":
            from gmssl_pyx import sm2_key_generate

            public, raw = sm2_key_generate()
            return cls(PublicKey(alg, bytes(public)), bytes(raw))
        raise CheckpointKeyError(f"签名算法 {alg!r} 不受支持（可选：{', '.join(ALGORITHMS)}）",
                                 f"unsupported signature algorithm {alg!r} (choose from: {', '.join(ALGORITHMS)})",
                                 field="alg")

    def sign(self, message: bytes) -> str:
        if self.alg == "ed25519":
            return Ed25519PrivateKey.from_private_bytes(self.private_key).sign(message).hex()
        from gmssl_pyx import sm2_sign

        return bytes(sm2_sign(self.private_key, self.public.public_key, message)).hex()

    def to_dict(self) -> dict[str, str]:
        return {**self.public.to_dict(), "private_key": self.private_key.hex()}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the key file once, mode 0600; an existing file is never overwritten."""
        p = Path(path)
        payload = (json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n").encode("ascii")
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise _key_error("已存在，不会覆盖", "already exists; it is never overwritten", p) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(p, 0o600)
        return p

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SigningKey:
        """Load a key file; refused when others may read it or when its halves do not belong together."""
        p = Path(path)
        try:
            mode = p.stat().st_mode
        except FileNotFoundError:
            raise _key_error("找不到密钥文件", "key file not found", p) from None
        if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
            raise _key_error(f"权限为 {stat.S_IMODE(mode):o}，他人可读；请 chmod 600",
                             f"mode {stat.S_IMODE(mode):o} lets others read it; chmod 600 it", p)
        data = _read_json(p)
        public = PublicKey.from_dict(data, p)
        private = _hex_bytes(data.get("private_key"), _PRIVATE_BYTES[public.alg], "private_key", p)
        key = cls(public, private)
        try:
            matches = public.verify(_SELF_TEST, key.sign(_SELF_TEST))
        except Exception:  # a garbled private key may fail inside the native library
            matches = False
        if not matches:
            raise _key_error("私钥与公钥不匹配", "private_key and public_key do not belong together", p)
        return key


def _read_json(path: str | os.PathLike[str]) -> Any:
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _key_error("找不到文件", "file not found", p) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _key_error(f"无法读取（{type(exc).__name__}）", f"cannot be read ({type(exc).__name__})", p) from None
    except json.JSONDecodeError as exc:
        raise _key_error(f"不是有效的 JSON（第 {exc.lineno} 行）", f"is not valid JSON (line {exc.lineno})", p) from None


def _hex_bytes(value: Any, size: int, name: str, where: str | os.PathLike[str]) -> bytes:
    if not isinstance(value, str) or not _HEX.match(value) or len(value) != 2 * size:
        raise _key_error(f"{name} 须为 {2 * size} 位小写十六进制", f"{name} must be {2 * size} lowercase hex digits",
                         where)
    return bytes.fromhex(value)


def _der_signature(sig: bytes) -> bool:
    """A DER SEQUENCE of two positive INTEGERs of at most 33 bytes: what an SM2 signature is. Checked here so
    that garbage never reaches the native library (which prints a trace of its own on a parse failure)."""
    if len(sig) < 8 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        return False
    i = 2
    for _ in range(2):
        if i + 2 > len(sig) or sig[i] != 0x02:
            return False
        n = sig[i + 1]
        if not 1 <= n <= 33 or i + 2 + n > len(sig) or sig[i + 2] & 0x80:
            return False
        i += 2 + n
    return i == len(sig)

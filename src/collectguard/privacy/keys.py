"""Data keys for encryption at rest (静态加密密钥环).

Why a keyring and not one key: keys must be rotated without re-encrypting every row at once, so
each token names the key that sealed it, and old keys stay available for decryption until every
token has been re-encrypted (`crypto.needs_rotation`, `crypto.reencrypt`). The keyed-hash secret
for blind indexes (`hmac_key`) is separate from the data keys and is *not* rotated with them:
changing it would silently break every exact-match lookup.

Key file (JSON, mode 0600)::

    {"current": "k2",
     "keys": {"k1": {"alg": "sm4-gcm", "key": "<base64>"},
              "k2": {"alg": "aes-256-gcm", "key": "<base64>"}},
     "hmac_key": "<base64>"}

A `Keyring` is immutable; `rotated()` and `retired()` return new ones. Callers pass it explicitly —
there is no process-wide keyring.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from collectguard.privacy.errors import KeyringError

ENV_KEY_FILE = "COLLECTGUARD_KEY_FILE"
ENV_KEYS = "COLLECTGUARD_KEYS"

# Key ids appear inside tokens separated by dots, so they are restricted to a dot-free alphabet.
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MIN_HMAC_KEY_BYTES = 16
HMAC_KEY_BYTES = 32


class Alg(StrEnum):
    """Authenticated ciphers for data at rest. SM4-GCM is the default (GB/T 32907, 国密)."""

    SM4_GCM = "sm4-gcm"
    AES_256_GCM = "aes-256-gcm"

    @property
    def key_bytes(self) -> int:
        return 16 if self is Alg.SM4_GCM else 32


def _parse_alg(value: object, where: str) -> Alg:
    try:
        return Alg(str(value))
    except ValueError:
        allowed = ", ".join(a.value for a in Alg)
        raise KeyringError(
            f"{where} 的算法 {value!r} 不受支持（可选：{allowed}）",
            f"{where}: unsupported algorithm {value!r} (choose from: {allowed})",
            field=f"{where}.alg",
        ) from None


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
        raise KeyringError(
            f"密钥编号 {key_id!r} 无效：只能包含字母、数字、- 和 _，最长 32 个字符",
            f"invalid key id {key_id!r}: letters, digits, - and _ only, at most 32 characters",
            field="keys",
        )
    return key_id


def _b64decode(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{where} 应为 base64 字符串", f"{where} must be a base64 string", field=where)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(
            f"{where} 不是有效的 base64", f"{where} is not valid base64", field=where
        ) from None


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class DataKey:
    """One named data key. `repr` never shows the key bytes, so a keyring can be logged safely."""

    key_id: str
    alg: Alg
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_key_id(self.key_id)
        if len(self.key) != self.alg.key_bytes:
            raise KeyringError(
                f"密钥 {self.key_id} 长度为 {len(self.key)} 字节，{self.alg.value} 需要 {self.alg.key_bytes} 字节",
                f"key {self.key_id} is {len(self.key)} bytes; {self.alg.value} needs {self.alg.key_bytes} bytes",
                field=f"keys.{self.key_id}.key",
            )

    @classmethod
    def generate(cls, key_id: str, alg: Alg | str = Alg.SM4_GCM) -> DataKey:
        alg = _parse_alg(alg, key_id)
        return cls(key_id, alg, secrets.token_bytes(alg.key_bytes))


@dataclass(frozen=True)
class Keyring:
    """Named data keys, one of them current, plus the secret for keyed hashing (blind indexes)."""

    current_id: str
    keys: Mapping[str, DataKey]
    hmac_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        # INVARIANT: the keyring is immutable and self-consistent once built.
        keys = dict(self.keys)
        if not keys:
            raise KeyringError("密钥环中没有任何数据密钥", "the keyring holds no data keys", field="keys")
        for key_id, key in keys.items():
            if key.key_id != key_id:
                raise KeyringError(
                    f"密钥编号不一致：{key_id} 与 {key.key_id}",
                    f"key id mismatch: {key_id} vs {key.key_id}",
                    field="keys",
                )
        if self.current_id not in keys:
            raise KeyringError(
                f"当前密钥 {self.current_id!r} 不在密钥环中",
                f"current key {self.current_id!r} is not in the keyring",
                field="current",
            )
        if len(self.hmac_key) < MIN_HMAC_KEY_BYTES:
            raise KeyringError(
                f"hmac_key 长度为 {len(self.hmac_key)} 字节，至少需要 {MIN_HMAC_KEY_BYTES} 字节",
                f"hmac_key is {len(self.hmac_key)} bytes; at least {MIN_HMAC_KEY_BYTES} bytes are needed",
                field="hmac_key",
            )
        object.__setattr__(self, "keys", MappingProxyType(keys))

    # --- access -------------------------------------------------------------------------------

    @property
    def current(self) -> DataKey:
        return self.keys[self.current_id]

    def get(self, key_id: str) -> DataKey:
        """The key named `key_id`, or a clear `KeyringError` (e.g. a token from another deployment)."""
        try:
            return self.keys[key_id]
        except KeyError:
            known = ", ".join(sorted(self.keys))
            raise KeyringError(
                f"密钥环中没有编号为 {key_id!r} 的密钥（已有：{known}）",
                f"no key with id {key_id!r} in the keyring (known: {known})",
                field="key_id",
            ) from None

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def generate(cls, alg: Alg | str = Alg.SM4_GCM, *, key_id: str = "k1") -> Keyring:
        """A fresh keyring with one random data key and a random hmac key."""
        key = DataKey.generate(key_id, alg)
        return cls(key_id, {key_id: key}, secrets.token_bytes(HMAC_KEY_BYTES))

    def rotated(self, alg: Alg | str | None = None, *, key_id: str | None = None) -> Keyring:
        """A new keyring whose current key is fresh; old keys stay for decryption, hmac_key is kept.

        Why keep hmac_key: blind indexes must stay comparable across a data-key rotation.
        """
        new_alg = self.current.alg if alg is None else _parse_alg(alg, "rotated")
        new_id = key_id if key_id is not None else self._next_key_id()
        if new_id in self.keys:
            raise KeyringError(f"密钥编号 {new_id} 已存在", f"key id {new_id} already exists", field="key_id")
        keys = dict(self.keys)
        keys[new_id] = DataKey.generate(new_id, new_alg)
        return Keyring(new_id, keys, self.hmac_key)

    def retired(self, key_id: str) -> Keyring:
        """A keyring without `key_id` — only once every token under it has been re-encrypted."""
        self.get(key_id)
        if key_id == self.current_id:
            raise KeyringError(
                f"不能移除当前密钥 {key_id}，请先轮换",
                f"cannot retire the current key {key_id}; rotate first",
                field="key_id",
            )
        return Keyring(self.current_id, {k: v for k, v in self.keys.items() if k != key_id}, self.hmac_key)

    def _next_key_id(self) -> str:
        numbers = [int(m.group(1)) for k in self.keys if (m := re.fullmatch(r"k(\d+)", k))]
        n = max(numbers, default=0) + 1
        while f"k{n}" in self.keys:
            n += 1
        return f"k{n}"

    # --- serialisation ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: object) -> Keyring:
        """Build from the key-file structure, with a bilingual error naming the bad field."""
        if not isinstance(data, dict):
            raise KeyringError("密钥配置应为 JSON 对象", "the key configuration must be a JSON object")
        current = data.get("current")
        if not isinstance(current, str):
            raise KeyringError(
                "密钥配置缺少字符串字段 current",
                "the key configuration lacks the string field current",
                field="current",
            )
        raw_keys = data.get("keys")
        if not isinstance(raw_keys, dict) or not raw_keys:
            raise KeyringError(
                "密钥配置缺少非空对象字段 keys",
                "the key configuration lacks a non-empty object keys",
                field="keys",
            )
        if "hmac_key" not in data:
            raise KeyringError(
                "密钥配置缺少字段 hmac_key",
                "the key configuration lacks the field hmac_key",
                field="hmac_key",
            )
        keys: dict[str, DataKey] = {}
        for key_id, entry in raw_keys.items():
            _check_key_id(key_id)
            where = f"keys.{key_id}"
            if not isinstance(entry, dict):
                raise KeyringError(f"{where} 应为对象", f"{where} must be an object", field=where)
            alg = _parse_alg(entry.get("alg", Alg.SM4_GCM.value), where)
            keys[key_id] = DataKey(key_id, alg, _b64decode(entry.get("key"), f"{where}.key"))
        return cls(current, keys, _b64decode(data["hmac_key"], "hmac_key"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current_id,
            "keys": {k: {"alg": v.alg.value, "key": _b64encode(v.key)} for k, v in self.keys.items()},
            "hmac_key": _b64encode(self.hmac_key),
        }

    @classmethod
    def from_json(cls, text: str, *, source: str = "key configuration") -> Keyring:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            # Only the position is reported: the text itself holds secrets.
            raise KeyringError(
                f"{source} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）",
                f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Keyring:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyringError(f"找不到密钥文件 {p}", f"key file {p} not found", field="path") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyringError(
                f"无法读取密钥文件 {p}：{exc.__class__.__name__}",
                f"cannot read key file {p}: {exc.__class__.__name__}",
                field="path",
            ) from None
        return cls.from_json(text, source=f"key file {p}")

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
    ) -> Keyring:
        """From `path`, else env `COLLECTGUARD_KEY_FILE` (a path), else env `COLLECTGUARD_KEYS` (JSON).

        Both env variables set at once is an error rather than a silent preference.
        """
        if path is not None:
            return cls.from_file(path)
        env = os.environ if environ is None else environ
        key_file, keys_json = env.get(ENV_KEY_FILE), env.get(ENV_KEYS)
        if key_file and keys_json:
            raise KeyringError(
                f"{ENV_KEY_FILE} 与 {ENV_KEYS} 只能设置其一",
                f"set only one of {ENV_KEY_FILE} and {ENV_KEYS}",
            )
        if key_file:
            return cls.from_file(key_file)
        if keys_json:
            return cls.from_json(keys_json, source=ENV_KEYS)
        raise KeyringError(
            f"未配置密钥：请设置 {ENV_KEY_FILE}（密钥文件路径）或 {ENV_KEYS}（JSON）",
            f"no keys configured: set {ENV_KEY_FILE} (path to a key file) or {ENV_KEYS} (JSON)",
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the key file with mode 0600, atomically (temp file in the same directory, then rename)."""
        p = Path(path)
        tmp = p.with_name(f".{p.name}.{secrets.token_hex(4)}.tmp")
        payload = json.dumps(self.to_dict(), indent=2, sort_keys=True).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, p)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return p

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from collectguard.privacy import Alg, DataKey, Keyring, KeyringError


def _b64(n: int) -> str:
    return base64.b64encode(b"\x01" * n).decode()


def _config(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "current": "k2",
        "keys": {"k1": {"alg": "sm4-gcm", "key": _b64(16)}, "k2": {"alg": "aes-256-gcm", "key": _b64(32)}},
        "hmac_key": _b64(32),
    }
    data.update(overrides)
    return data


def test_generate_has_right_key_lengths() -> None:
    sm4 = Keyring.generate()
    aes = Keyring.generate("aes-256-gcm")
    assert sm4.current.alg is Alg.SM4_GCM and len(sm4.current.key) == 16
    assert aes.current.alg is Alg.AES_256_GCM and len(aes.current.key) == 32
    assert len(sm4.hmac_key) == 32
    assert sm4.current.key != Keyring.generate().current.key


def test_repr_never_shows_key_material() -> None:
    ring = Keyring.generate()
    text = repr(ring) + repr(ring.current)
    assert base64.b64encode(ring.current.key).decode() not in text
    assert repr(ring.current.key) not in text
    assert repr(ring.hmac_key) not in text


def test_rotated_adds_current_key_and_keeps_old_and_hmac() -> None:
    ring = Keyring.generate()
    new = ring.rotated()
    assert new.current_id == "k2" and set(new.keys) == {"k1", "k2"}
    assert new.keys["k1"] == ring.keys["k1"]
    assert new.hmac_key == ring.hmac_key
    assert ring.current_id == "k1" and set(ring.keys) == {"k1"}  # immutable original
    assert new.rotated("aes-256-gcm").current.alg is Alg.AES_256_GCM
    assert new.rotated().current_id == "k3"


def test_retired_drops_old_key_but_not_current() -> None:
    ring = Keyring.generate().rotated()
    assert set(ring.retired("k1").keys) == {"k2"}
    with pytest.raises(KeyringError, match="不能移除当前密钥"):
        ring.retired("k2")


def test_keyring_is_immutable() -> None:
    ring = Keyring.generate()
    with pytest.raises(TypeError):
        ring.keys["x"] = ring.current  # type: ignore[index]


def test_save_writes_0600_and_round_trips(tmp_path: Path) -> None:
    ring = Keyring.generate().rotated("aes-256-gcm")
    path = tmp_path / "keys.json"
    old_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        ring.save(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.load(path) == ring
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind
    # overwrite (the rotation flow) keeps 0600
    ring.rotated().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.load(path).current_id == "k3"


def test_load_from_dict_shape() -> None:
    ring = Keyring.from_dict(_config())
    assert ring.current_id == "k2"
    assert ring.get("k1").alg is Alg.SM4_GCM
    assert Keyring.from_dict(ring.to_dict()) == ring


def test_load_from_env_file_and_env_json(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text(json.dumps(_config()))
    assert Keyring.load(environ={"COLLECTGUARD_KEY_FILE": str(path)}).current_id == "k2"
    assert Keyring.load(environ={"COLLECTGUARD_KEYS": json.dumps(_config())}).current_id == "k2"


def test_load_from_process_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLECTGUARD_KEY_FILE", raising=False)
    monkeypatch.setenv("COLLECTGUARD_KEYS", json.dumps(_config()))
    assert Keyring.load().current_id == "k2"


def test_load_without_configuration_is_a_clear_error() -> None:
    with pytest.raises(KeyringError) as err:
        Keyring.load(environ={})
    assert "未配置密钥" in err.value.message_zh and "COLLECTGUARD_KEY_FILE" in err.value.message_en


def test_both_env_variables_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="只能设置其一"):
        Keyring.load(environ={"COLLECTGUARD_KEY_FILE": "x", "COLLECTGUARD_KEYS": "{}"})


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError) as err:
        Keyring.load(tmp_path / "nope.json")
    assert "找不到密钥文件" in err.value.message_zh and "not found" in err.value.message_en


def test_garbled_key_file_does_not_echo_its_content(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text('{"current": "k1", "hmac_key": "SECRETSECRET" ')
    with pytest.raises(KeyringError) as err:
        Keyring.load(path)
    assert "不是有效的 JSON" in err.value.message_zh and "not valid JSON" in err.value.message_en
    assert "SECRET" not in str(err.value)


@pytest.mark.parametrize(
    ("overrides", "zh", "field"),
    [
        ({"current": "k9"}, "当前密钥 'k9' 不在密钥环中", "current"),
        ({"current": None}, "缺少字符串字段 current", "current"),
        ({"keys": {}}, "缺少非空对象字段 keys", "keys"),
        (
            {"keys": {"k2": {"alg": "sm4-gcm", "key": _b64(32)}}},
            "长度为 32 字节，sm4-gcm 需要 16 字节",
            "keys.k2.key",
        ),
        (
            {"keys": {"k2": {"alg": "aes-256-gcm", "key": _b64(16)}}},
            "aes-256-gcm 需要 32 字节",
            "keys.k2.key",
        ),
        ({"keys": {"k2": {"alg": "des", "key": _b64(8)}}}, "不受支持", "keys.k2.alg"),
        ({"keys": {"k2": {"alg": "sm4-gcm", "key": "not base64!"}}}, "不是有效的 base64", "keys.k2.key"),
        ({"keys": {"k.2": {"alg": "sm4-gcm", "key": _b64(16)}}}, "密钥编号 'k.2' 无效", "keys"),
        ({"hmac_key": _b64(8)}, "至少需要 16 字节", "hmac_key"),
    ],
)
def test_bad_key_configuration_messages(overrides: dict[str, object], zh: str, field: str) -> None:
    with pytest.raises(KeyringError) as err:
        Keyring.from_dict(_config(**overrides))
    assert zh in err.value.message_zh
    assert err.value.message_en  # English beside the Chinese
    assert err.value.field == field


def test_missing_hmac_key() -> None:
    data = _config()
    del data["hmac_key"]
    with pytest.raises(KeyringError, match="hmac_key"):
        Keyring.from_dict(data)


def test_unknown_key_id() -> None:
    ring = Keyring.generate()
    with pytest.raises(KeyringError) as err:
        ring.get("k7")
    assert "没有编号为 'k7' 的密钥" in err.value.message_zh and "k1" in err.value.message_en


def test_datakey_rejects_wrong_length_directly() -> None:
    with pytest.raises(KeyringError, match="需要 16 字节"):
        DataKey("k1", Alg.SM4_GCM, b"short")

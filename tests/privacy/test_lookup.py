from __future__ import annotations

import base64

import pytest

from collectguard.errors import InvalidInput
from collectguard.privacy import Keyring, PiiKind, blind_index, normalise


def test_stable_hex_sm3(sm4_keyring: Keyring) -> None:
    a = blind_index(sm4_keyring, "13800138000", kind="phone")
    assert a == blind_index(sm4_keyring, "13800138000", kind=PiiKind.PHONE)
    assert len(a) == 64 and int(a, 16) >= 0


def test_known_answer_hmac_sm3() -> None:
    """Pins the construction (HMAC-SM3 over kind NUL value) so a silent change is caught."""
    from cryptography.hazmat.primitives import hashes, hmac

    zero = base64.b64encode(bytes(16)).decode()
    ring = Keyring.from_dict(
        {"current": "k1", "keys": {"k1": {"alg": "sm4-gcm", "key": zero}}, "hmac_key": "A" * 44}
    )
    mac = hmac.HMAC(bytes(32), hashes.SM3())
    mac.update(b"phone\x00+8613800138000")
    expected = mac.finalize().hex()
    assert expected == "6fce084a2eaa73fe5361c84c752bbfc156553debba86cf71dc6709ac405fc436"
    assert blind_index(ring, "13800138000", kind="phone") == expected


def test_keyed_different_hmac_key_different_index() -> None:
    a, b = Keyring.generate(), Keyring.generate()
    assert blind_index(a, "13800138000", kind="phone") != blind_index(b, "13800138000", kind="phone")


def test_survives_data_key_rotation(sm4_keyring: Keyring) -> None:
    assert blind_index(sm4_keyring, "张三", kind="name") == blind_index(
        sm4_keyring.rotated(), "张三", kind="name"
    )


@pytest.mark.parametrize(
    "variant",
    ["+86 138 0013 8000", "138-0013-8000", "(+86)13800138000", "008613800138000", "１３８００１３８０００"],
)
def test_phone_normalisation(sm4_keyring: Keyring, variant: str) -> None:
    assert normalise("phone", variant) == "+8613800138000"
    assert blind_index(sm4_keyring, variant, kind="phone") == blind_index(
        sm4_keyring, "13800138000", kind="phone"
    )


def test_landline_normalisation() -> None:
    assert normalise("phone", "010-12345678") == "+861012345678"


def test_id_number_normalisation(sm4_keyring: Keyring) -> None:
    assert normalise("id_number", " 11010119900307123x ") == "11010119900307123X"
    assert normalise("id_number", "110101 19900307 123X") == "11010119900307123X"
    assert blind_index(sm4_keyring, "11010119900307123x", kind="id_number") == blind_index(
        sm4_keyring, "11010119900307123X", kind="id_number"
    )


def test_name_normalisation() -> None:
    assert normalise("name", "  张三 ") == "张三"
    assert normalise("name", "Ｚｈａｎｇ  San") == "Zhang San"  # NFKC folds full-width letters


def test_email_normalisation() -> None:
    assert normalise("email", " ZhangSan@Example.COM ") == "zhangsan@example.com"


def test_kinds_are_domain_separated(sm4_keyring: Keyring) -> None:
    assert blind_index(sm4_keyring, "13800138000", kind="name") != blind_index(
        sm4_keyring, "13800138000", kind="id_number"
    )


def test_different_values_differ(sm4_keyring: Keyring) -> None:
    assert blind_index(sm4_keyring, "13800138000", kind="phone") != blind_index(
        sm4_keyring, "13800138001", kind="phone"
    )


def test_unparseable_phone_error_does_not_echo_value(sm4_keyring: Keyring) -> None:
    with pytest.raises(InvalidInput) as err:
        blind_index(sm4_keyring, "call me maybe", kind="phone")
    assert "无法解析电话号码" in err.value.message_zh and "call me" not in str(err.value)


@pytest.mark.parametrize("kind", ["name", "id_number", "email"])
def test_empty_value_is_an_error(sm4_keyring: Keyring, kind: str) -> None:
    with pytest.raises(InvalidInput, match="为空"):
        blind_index(sm4_keyring, "   ", kind=kind)


def test_unknown_kind(sm4_keyring: Keyring) -> None:
    with pytest.raises(InvalidInput, match="未知的个人信息类别"):
        blind_index(sm4_keyring, "x", kind="shoe_size")

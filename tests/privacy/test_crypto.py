from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.privacy import (
    Alg,
    DecryptionError,
    Keyring,
    PrivacyError,
    decrypt,
    encrypt,
    key_id_of,
    needs_rotation,
    reencrypt,
)

CTX = "debtor.phone"
# Built once for the property test: Hypothesis forbids function-scoped fixtures in @given.
RINGS = {alg: Keyring.generate(alg) for alg in Alg}


def _flip(token: str, index: int) -> str:
    head, payload = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[index] ^= 0x01
    return head + "." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_round_trip(keyring: Keyring) -> None:
    token = encrypt(keyring, "13800138000", context=CTX)
    assert decrypt(keyring, token, context=CTX) == "13800138000"
    assert "13800138000" not in token


def test_token_format(keyring: Keyring) -> None:
    token = encrypt(keyring, "张三", context="debtor.name")
    version, key_id, alg, payload = token.split(".")
    assert (version, key_id, alg) == ("cg1", "k1", keyring.current.alg.value)
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert len(raw) == 12 + len("张三".encode()) + 16  # nonce || ciphertext || tag
    assert key_id_of(token) == "k1"


def test_encryption_is_randomised(keyring: Keyring) -> None:
    assert encrypt(keyring, "x", context=CTX) != encrypt(keyring, "x", context=CTX)


def test_empty_string_round_trips(keyring: Keyring) -> None:
    assert decrypt(keyring, encrypt(keyring, "", context=CTX), context=CTX) == ""


@pytest.mark.parametrize("index", [0, 11, 12, -1, -16])  # nonce, first ciphertext byte, tag
def test_flipped_byte_is_detected(keyring: Keyring, index: int) -> None:
    token = encrypt(keyring, "110101199003071234", context="debtor.id_number")
    with pytest.raises(DecryptionError) as err:
        decrypt(keyring, _flip(token, index), context="debtor.id_number")
    assert "篡改" in err.value.message_zh and "tampered" in err.value.message_en


def test_wrong_context_is_rejected(keyring: Keyring) -> None:
    token = encrypt(keyring, "13800138000", context="debtor.phone")
    with pytest.raises(DecryptionError, match="上下文"):
        decrypt(keyring, token, context="contact.phone")


def test_header_is_authenticated() -> None:
    """Relabelling a token's key id to another key of the same algorithm fails authentication."""
    ring = Keyring.generate().rotated()
    token = encrypt(ring, "x", context=CTX)
    relabelled = token.replace(".k2.", ".k1.", 1)
    with pytest.raises(DecryptionError):
        decrypt(ring, relabelled, context=CTX)


def test_alg_mismatch_is_rejected() -> None:
    ring = Keyring.generate(Alg.SM4_GCM)
    token = encrypt(ring, "x", context=CTX).replace(".sm4-gcm.", ".aes-256-gcm.")
    with pytest.raises(DecryptionError, match="算法"):
        decrypt(ring, token, context=CTX)


def test_unknown_key_is_a_decryption_error() -> None:
    token = encrypt(Keyring.generate(key_id="other"), "x", context=CTX)
    with pytest.raises(DecryptionError) as err:
        decrypt(Keyring.generate(), token, context=CTX)
    assert "未知密钥 'other'" in err.value.message_zh and "unknown key" in err.value.message_en


def test_other_keyring_same_id_fails(keyring: Keyring) -> None:
    token = encrypt(keyring, "x", context=CTX)
    with pytest.raises(DecryptionError):
        decrypt(Keyring.generate(keyring.current.alg), token, context=CTX)


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("13800138000", "格式无效"),
        ("cg1.k1.sm4-gcm", "格式无效"),
        ("cg1..sm4-gcm.AAAA", "格式无效"),
        ("cg2.k1.sm4-gcm.AAAA", "不支持的密文版本"),
        ("cg1.k1.rot13.AAAA", "不受支持"),
        ("cg1.k1.sm4-gcm.AA!A", "base64url"),
        ("cg1.k1.sm4-gcm.AAAA", "过短"),
    ],
)
def test_malformed_tokens(sm4_keyring: Keyring, token: str, fragment: str) -> None:
    with pytest.raises(DecryptionError, match=fragment):
        decrypt(sm4_keyring, token, context=CTX)


def test_empty_context_is_refused(sm4_keyring: Keyring) -> None:
    with pytest.raises(PrivacyError, match="context"):
        encrypt(sm4_keyring, "x", context="")


def test_rotation_old_tokens_decrypt_and_reencrypt_moves_them() -> None:
    ring = Keyring.generate(Alg.SM4_GCM)
    old = encrypt(ring, "欧阳娜娜", context="debtor.name")
    ring2 = ring.rotated(Alg.AES_256_GCM)
    assert decrypt(ring2, old, context="debtor.name") == "欧阳娜娜"
    assert needs_rotation(ring2, old) and not needs_rotation(ring, old)
    moved = reencrypt(ring2, old, context="debtor.name")
    assert key_id_of(moved) == "k2" and moved.split(".")[2] == "aes-256-gcm"
    assert not needs_rotation(ring2, moved)
    assert decrypt(ring2, moved, context="debtor.name") == "欧阳娜娜"
    assert reencrypt(ring2, moved, context="debtor.name") == moved  # already current: unchanged
    # once every token has moved, the old key can go and the moved token still opens
    assert decrypt(ring2.retired("k1"), moved, context="debtor.name") == "欧阳娜娜"
    with pytest.raises(DecryptionError):
        decrypt(ring2.retired("k1"), old, context="debtor.name")


def test_reencrypt_checks_context() -> None:
    ring = Keyring.generate()
    token = encrypt(ring, "x", context=CTX)
    with pytest.raises(DecryptionError):
        reencrypt(ring.rotated(), token, context="other.column")


def test_key_file_round_trip_keeps_tokens_readable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ring = Keyring.generate()
    token = encrypt(ring, "x", context=CTX)
    ring.save(tmp_path / "k.json")
    assert decrypt(Keyring.load(tmp_path / "k.json"), token, context=CTX) == "x"


@settings(max_examples=150, deadline=None)
@given(text=st.text(), alg=st.sampled_from(list(Alg)), context=st.text(min_size=1, max_size=40))
def test_property_decrypt_inverts_encrypt(text: str, alg: Alg, context: str) -> None:
    ring = RINGS[alg]
    assert decrypt(ring, encrypt(ring, text, context=context), context=context) == text

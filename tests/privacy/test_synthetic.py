from __future__ import annotations

import random
import re
from datetime import date

import phonenumbers
import pytest

from collectguard.privacy import Keyring, blind_index, mask_id_number, mask_phone
from collectguard.privacy.synthetic import (
    id_check_digit,
    id_checksum_ok,
    synthetic_email,
    synthetic_id_number,
    synthetic_name,
    synthetic_phone,
)


def test_known_check_digits() -> None:
    # Published GB 11643 examples.
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"
    assert id_checksum_ok("11010519491231002X") and id_checksum_ok("11010519491231002x")
    assert not id_checksum_ok("110105194912310021")
    with pytest.raises(ValueError):
        id_check_digit("123")


def test_synthetic_phones_are_never_valid() -> None:
    rng = random.Random(20240101)
    for _ in range(2000):
        phone = synthetic_phone(rng)
        assert re.fullmatch(r"10\d{9}", phone)
        assert not phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN"))


def test_synthetic_ids_have_impossible_area_and_correct_check_digit() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        id_number = synthetic_id_number(rng)
        assert re.fullmatch(r"99\d{15}[\dX]", id_number)
        assert id_checksum_ok(id_number)
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        assert date(1950, 1, 1) <= born <= date(2005, 12, 31)


def test_synthetic_id_with_given_birth() -> None:
    assert synthetic_id_number(random.Random(1), birth=date(1990, 3, 7))[6:14] == "19900307"


def test_synthetic_names_and_emails() -> None:
    rng = random.Random(3)
    names = {synthetic_name(rng) for _ in range(200)}
    assert all(2 <= len(n) <= 3 for n in names) and len(names) > 50
    assert all(synthetic_email(rng).endswith("@example.com") for _ in range(10))


def test_seeded_and_deterministic() -> None:
    a, b = random.Random(42), random.Random(42)
    assert [synthetic_phone(a), synthetic_id_number(a), synthetic_name(a)] == [
        synthetic_phone(b),
        synthetic_id_number(b),
        synthetic_name(b),
    ]


def test_synthetic_data_works_with_the_rest_of_the_library() -> None:
    rng = random.Random(5)
    phone, id_number = synthetic_phone(rng), synthetic_id_number(rng)
    assert mask_phone(phone) == phone[:3] + "****" + phone[-4:]
    assert mask_id_number(id_number) == id_number[:3] + "*" * 11 + id_number[-4:]
    ring = Keyring.generate()
    assert blind_index(ring, phone, kind="phone") == blind_index(ring, phone, kind="phone")

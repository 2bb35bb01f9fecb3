"""Synthetic personal data for tests, fixtures and demos (合成测试数据).

Why: test data that happens to be a real person's phone or ID number is itself a personal-information
leak (and a test that dials it is worse). These values look right to format checks but cannot
belong to anyone:

* phones use the 100–109 prefixes, which are not allocated to mobile networks (phonenumbers
  reports them as not valid);
* ID numbers use area code 99xxxx, which no province has (province codes run 11–82), and carry a
  correct ISO 7064 MOD 11-2 check digit so code that validates the checksum still accepts them;
* e-mail addresses use the reserved domain example.com (RFC 2606).

Names cannot be made impossible — common ones are shared by many people — so they are drawn from
common characters and identify no one on their own.

Everything is driven by the `random.Random` passed in, so the same seed gives the same data.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
SYNTHETIC_AREA_PREFIX = "99"

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏宇浩然晨欣怡子涵雨轩博嘉"

_BIRTH_START = date(1950, 1, 1)
_BIRTH_END = date(2005, 12, 31)


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of an 18-digit resident ID (GB 11643)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("first17 must be 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_checksum_ok(id_number: str) -> bool:
    """True when an 18-character ID's last character matches its check digit."""
    text = id_number.strip().upper()
    return len(text) == 18 and text[:17].isdigit() and id_check_digit(text[:17]) == text[17]


def synthetic_phone(rng: random.Random) -> str:
    """An 11-digit number 10x xxxx xxxx: phone-shaped, never allocated."""
    return "10" + "".join(str(rng.randrange(10)) for _ in range(9))


def synthetic_id_number(rng: random.Random, *, birth: date | None = None) -> str:
    """An 18-character ID with area 99xxxx (no such province) and a correct check digit."""
    if birth is None:
        birth = _BIRTH_START + timedelta(days=rng.randrange((_BIRTH_END - _BIRTH_START).days + 1))
    area = SYNTHETIC_AREA_PREFIX + f"{rng.randrange(10_000):04d}"
    first17 = area + birth.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def synthetic_name(rng: random.Random) -> str:
    """A surname and one or two given-name characters from common ones, e.g. 王芳, 陈子涵."""
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(_SURNAMES) + given


def synthetic_email(rng: random.Random) -> str:
    """An address at example.com, a domain reserved for documentation (RFC 2606)."""
    return f"user{rng.randrange(10**6):06d}@example.com"

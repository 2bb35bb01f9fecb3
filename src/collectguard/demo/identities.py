"""Synthetic personal data that can never belong to a real person.

- Phone numbers use the unallocated 100–109 mobile prefixes (`phonenumbers` rejects every one of them).
- ID numbers (居民身份证号码) have the non-existent area code 99xxxx, a plausible birth date and a
  correct GB 11643 check digit, so they pass format checks but name nobody.
- Names are drawn from common surnames and given-name characters (and Uyghur names for Xinjiang).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华文辉玉兰建国志强海燕晓东红梅鹏飞丹宇浩然"
    "子涵欣怡梓萱俊杰家豪雨轩思远佳琪雪梅立新春燕秋菊宏伟振华淑珍凤英国庆永刚亚男婷婷晨阳"
)
UYGHUR_GIVEN = (
    "买买提", "艾力", "阿不都", "热合曼", "努尔", "古丽", "阿依", "帕提古丽", "吐尔逊", "伊力哈木",
    "迪丽拜尔", "阿迪力", "米娜瓦尔", "艾尔肯", "祖丽菲亚", "库尔班", "热娜", "麦麦提",
)
UNALLOCATED_MOBILE_PREFIXES = tuple(str(p) for p in range(100, 110))
FICTIONAL_AREA_PREFIX = "99"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def synthetic_name(rng: random.Random) -> str:
    """A common-looking Han Chinese name of two or three characters."""
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


def synthetic_uyghur_name(rng: random.Random) -> str:
    """A transliterated Uyghur name, given name · father's name."""
    first, second = rng.sample(UYGHUR_GIVEN, 2)
    return f"{first}·{second}"


def synthetic_phone(rng: random.Random) -> str:
    """An 11-digit mobile-looking number in the unallocated 100–109 range."""
    return rng.choice(UNALLOCATED_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of an ID number's first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def synthetic_id_number(rng: random.Random, *, born_after: date = date(1966, 1, 1), born_before: date = date(2005, 1, 1)) -> str:
    """An 18-character ID number with the fictional area code 99xxxx and a valid check digit."""
    area = FICTIONAL_AREA_PREFIX + f"{rng.randrange(10**4):04d}"
    birth = born_after + timedelta(days=rng.randrange((born_before - born_after).days))
    first17 = f"{area}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


class UniqueDraw:
    """Draw values that have not been drawn before (phones and ID numbers stay unique in a world)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, draw: Callable[[random.Random], str], rng: random.Random) -> str:
        while True:
            value = draw(rng)
            if value not in self.seen:
                self.seen.add(value)
                return value

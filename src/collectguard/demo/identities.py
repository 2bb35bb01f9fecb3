"""Synthetic personal data for the demo, which can never belong to a real person.

Phones, ID numbers and Han names come from `collectguard.privacy.synthetic` (phones in the unallocated
100–109 range, ID numbers with the non-existent area code 99xxxx and a valid check digit). This module
adds transliterated Uyghur names for debtors in Xinjiang and a helper that keeps drawn values unique.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from collectguard.privacy.synthetic import synthetic_id_number, synthetic_name, synthetic_phone

__all__ = [
    "UniqueDraw", "synthetic_address", "synthetic_id_number", "synthetic_name", "synthetic_phone", "synthetic_uyghur_name",
]

# Provinces and cities that do not exist, so an address can never lead to a real door.
FICTIONAL_PLACES = {
    "东澜省": ("澜州", "望海", "临汀"),
    "西岭省": ("岭川", "石门渡", "白杨"),
    "南屿省": ("屿城", "榕溪", "新港"),
    "北原省": ("原阳", "云岚", "松河"),
}
DISTRICTS = ("中山", "城南", "高新", "滨江", "东湖", "西城", "开发")
ROADS = ("建设", "人民", "解放", "和平", "文化", "青年", "光明", "长江", "幸福", "朝阳")

UYGHUR_GIVEN = (
    "买买提", "艾力", "阿不都", "热合曼", "努尔", "古丽", "阿依", "帕提古丽", "吐尔逊", "伊力哈木",
    "迪丽拜尔", "阿迪力", "米娜瓦尔", "艾尔肯", "祖丽菲亚", "库尔班", "热娜", "麦麦提",
)


def synthetic_uyghur_name(rng: random.Random) -> str:
    """A transliterated Uyghur name, given name · father's name."""
    first, second = rng.sample(UYGHUR_GIVEN, 2)
    return f"{first}·{second}"


def synthetic_address(rng: random.Random) -> str:
    """A residential address in a fictional province, e.g. 东澜省望海市高新区人民路88号3栋502室."""
    province = rng.choice(list(FICTIONAL_PLACES))
    city = rng.choice(FICTIONAL_PLACES[province])
    return (
        f"{province}{city}市{rng.choice(DISTRICTS)}区{rng.choice(ROADS)}路{rng.randint(1, 399)}号"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 6):02d}室"
    )


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

"""Synthetic personal data for the demo, which can never belong to a real person.

Phones, ID numbers and Han names come from `collectguard.privacy.synthetic` (phones in the unallocated
100–109 range, ID numbers with the non-existent area code 99xxxx and a valid check digit). This module
adds transliterated Uyghur names for debtors in Xinjiang and a helper that keeps drawn values unique.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from collectguard.privacy.synthetic import synthetic_id_number, synthetic_name, synthetic_phone

__all__ = ["UniqueDraw", "synthetic_id_number", "synthetic_name", "synthetic_phone", "synthetic_uyghur_name"]

UYGHUR_GIVEN = (
    "买买提", "艾力", "阿不都", "热合曼", "努尔", "古丽", "阿依", "帕提古丽", "吐尔逊", "伊力哈木",
    "迪丽拜尔", "阿迪力", "米娜瓦尔", "艾尔肯", "祖丽菲亚", "库尔班", "热娜", "麦麦提",
)


def synthetic_uyghur_name(rng: random.Random) -> str:
    """A transliterated Uyghur name, given name · father's name."""
    first, second = rng.sample(UYGHUR_GIVEN, 2)
    return f"{first}·{second}"


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

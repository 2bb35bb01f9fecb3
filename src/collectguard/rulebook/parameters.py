"""The shapes of a profile's dated parameters that other parts of the rulebook reason with.

They live apart from `profile.py` (which reads the profile files and joins each rule's metadata with its
check) so that the calendar, policies and checks can use them without importing the profile loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class UnreachableDefinition:
    """When a debtor "cannot be reached" (art. 8(二)): min_attempts not-connected attempts on at least
    min_distinct_days natural days within the last window_days days, and no connected contact."""

    window_days: int
    min_attempts: int
    min_distinct_days: int


@dataclass(frozen=True)
class QuietHours:
    """Quiet from `start` until `end`, local time, running past midnight when `end` is not after `start`.
    Quiet hours whose `start` equals their `end` are quiet all day: nothing is left to allow."""

    start: time  # quiet from (e.g. 22:00)
    end: time  # until (e.g. 08:00)

    @property
    def all_day(self) -> bool:
        return self.start == self.end


def parse_hhmm(text: str) -> time:
    """Parse "HH:MM" (or "HH:MM:SS"); "24:00" means the end of the day and is read as 00:00."""
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"时间格式应为 HH:MM / time must be HH:MM, got {text!r}")
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) == 3 else 0
    if hour == 24 and minute == 0 and second == 0:
        return time(0, 0)
    return time(hour, minute, second)

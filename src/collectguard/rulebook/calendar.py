"""Time windows in the party's own time zone: quiet hours, agreed windows, natural days.

Rules never read the wall clock: every function here takes the instant it reasons about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from collectguard.rulebook.parameters import QuietHours

# How far ahead next_allowed_at looks before it says "nothing will allow it".
SEARCH_DAYS = 14
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Window:
    """An allowed time window, from ≤ t < to, local time. A window whose `to` is not after its `from`
    runs past midnight into the next day; `days` (0 = Monday) are the days on which it starts."""

    start: time
    end: time
    days: frozenset[int] | None = None

    def instance(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        if self.days is not None and day.weekday() not in self.days:
            return None
        begin = datetime.combine(day, self.start, zone)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return begin, datetime.combine(end_day, self.end, zone)


def windows_outside(quiet: QuietHours) -> tuple[Window, ...]:
    """The daily allowed window left by quiet hours (22:00–08:00 quiet → 08:00–22:00 allowed). Quiet hours
    whose `from` equals their `to` are quiet all day and leave none: a window from a time to the same time
    would run round the clock and allow every hour (policy validation counts them as the whole day too)."""
    if quiet.all_day:
        return ()
    return (Window(quiet.end, quiet.start),)


def local(at: datetime, zone: ZoneInfo) -> datetime:
    if at.tzinfo is None:
        raise ValueError("时间必须带时区 / datetimes must be timezone-aware")
    return at.astimezone(zone)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    return local(at, zone).date()


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of local day `day` (a midnight that a transition skips resolves, fold 0, to the
    transition itself; a repeated one to its first occurrence)."""
    return datetime.combine(day, time(0, 0), zone)


@lru_cache(maxsize=4_096)
def day_instants(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first instant of local day `day`, first instant of the next), in UTC: an instant falls on `day` in
    `zone` exactly when it lies between them (local dates never run backwards across a midnight). Memoised:
    counting a day's quota asks for the same few days over and over; comparing instants with these is cheaper
    than converting each to its local date."""
    return _utc(start_of_day(day, zone)), _utc(start_of_day(day + timedelta(days=1), zone))


def _instances(windows: tuple[Window, ...], first: date, days: int, zone: ZoneInfo):
    for offset in range(days):
        day = first + timedelta(days=offset)
        for window in windows:
            inst = window.instance(day, zone)
            if inst is not None:
                yield inst


def _utc(moment: datetime) -> datetime:
    # Compare instants, not wall times: aware datetimes in the same zone compare by wall clock.
    return moment.astimezone(UTC)


@lru_cache(maxsize=16_384)
def _bounds_around(windows: tuple[Window, ...], day: date, zone: ZoneInfo) -> tuple[tuple[datetime, datetime], ...]:
    """The instances (as UTC instants) of the windows that start on the day before `day` or on `day` —
    every instance that can contain an instant of local day `day`. Memoised: a gate or a replay asks about
    the same few days of the same few policies again and again (the arguments are immutable)."""
    return tuple((_utc(begin), _utc(end)) for begin, end in _instances(windows, day - timedelta(days=1), 2, zone))


def within(at: datetime, windows: tuple[Window, ...], zone: ZoneInfo) -> bool:
    day = local_date(at, zone)  # refuses a naive datetime
    moment = _utc(at)
    return any(begin <= moment < end for begin, end in _bounds_around(windows, day, zone))


def next_window_moment(at: datetime, windows: tuple[Window, ...], zone: ZoneInfo) -> datetime | None:
    """The earliest instant ≥ at inside a window, or None if none starts within SEARCH_DAYS."""
    moment = _utc(at)
    best: datetime | None = None
    day = local_date(at, zone)
    for begin, end in _instances(windows, day - timedelta(days=1), SEARCH_DAYS + 1, zone):
        b, e = _utc(begin), _utc(end)
        if b <= moment < e:
            return local(at, zone)
        if b > moment and (best is None or b < best):
            best = b
    return None if best is None else local(best, zone)

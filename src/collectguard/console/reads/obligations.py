"""义务日历 What the obligations page reads: the calendar exactly as GET /v1/obligations computes it
(`oversight.calendar.calendar`, scoped to the viewer's agency the same way), laid out as a month of days or as a
sorted, filtered, paged list.

The calendar is computed whole for each request (its size is the institution's agencies, agreements, collectors
and orders — tens to a few hundred items, never the debtors or the attempts); paging and sorting happen here."""

from __future__ import annotations

import calendar as months
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.oversight import calendar
from collectguard.oversight.schemas import ObligationOut
from collectguard.registry import models as m

STATUSES = ("overdue", "due", "met")
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}
SORTS = ("status", "due", "obligation", "subject")
SUBJECT_KINDS = {  # subject_kind → (zh, en)
    "institution": ("本机构", "institution"),
    "agency": ("合作机构", "agency"),
    "collector": ("催收员", "collector"),
    "agreement": ("委托协议", "agreement"),
    "rectification_order": ("整改通知", "rectification order"),
    "complaint": ("投诉", "complaint"),
    "incident": ("事件", "incident"),
}


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    today: bool
    items: list[ObligationOut]


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    undated: list[ObligationOut]  # items with no due date (nothing to put on a day)
    earlier: date | None = None  # the latest due date before the month, to jump to
    later: date | None = None  # the earliest due date after it

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def previous(self) -> str:
        return f"{self.first - timedelta(days=1):%Y-%m}"

    @property
    def next(self) -> str:
        last = months.monthrange(self.first.year, self.first.month)[1]
        return f"{self.first + timedelta(days=last):%Y-%m}"


@dataclass
class Calendar:
    """The calendar the viewer may see (all its items), then what the filters keep."""

    institution: str
    at: datetime
    day: date  # the institution's local date
    zone: str
    counts: dict[str, int]  # of every item the viewer may see, before the page's filters
    items: list[ObligationOut]  # after the filters
    agencies: dict[str, str] = field(default_factory=dict)  # id → name, for the filter and the subjects


def read(session: Session, institution: str, at: datetime, *, agency: str | None, status: str | None = None,
         agency_filter: str | None = None, text: str = "", due: str | None = None) -> Calendar:
    """The calendar at `at` as the API answers it for this viewer (`agency`: an agency-bound viewer's own; None
    for the institution's people), with the counts of all of it and the items that pass the filters (a status,
    an agency, a due date (YYYY-MM-DD), a text found in the key — obligation and subject —, article, title or an evidence's kind)."""
    out = calendar.calendar(session, institution, at, agency=agency)
    items = out.items
    if agency_filter:
        items = [i for i in items if i.agency == agency_filter]
    if status in STATUSES:
        items = [i for i in items if i.status == status]
    if due:
        items = [i for i in items if i.due_date is not None and i.due_date.isoformat() == due]
    if text:
        wanted = text.casefold()
        items = [i for i in items if any(wanted in s.casefold() for s in (
            i.key, i.article, i.title_zh, i.title_en, *(e.kind for e in i.evidence)))]
    ids = sorted({i.agency for i in out.items if i.agency})
    names = dict(session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(ids))).all()) \
        if ids else {}
    return Calendar(institution=institution, at=out.at, day=out.day, zone=out.timezone, counts=out.counts,
                    items=items, agencies={i: names.get(i, i) for i in ids})


def _due_key(item: ObligationOut) -> tuple[int, date]:
    return (1, date.max) if item.due_date is None else (0, item.due_date)


def ordered(items: Sequence[ObligationOut], sort: str, desc: bool) -> list[ObligationOut]:
    """Sorted by `sort` (status: overdue first, then by due date; due: the earliest deadline first, undated last;
    obligation; subject), ties by due date then key, so a page is stable."""
    keys = {
        "status": lambda i: (STATUS_RANK.get(i.status, 9), *_due_key(i), i.key),
        "due": lambda i: (*_due_key(i), STATUS_RANK.get(i.status, 9), i.key),
        "obligation": lambda i: (i.obligation, *_due_key(i), i.key),
        "subject": lambda i: (i.subject_kind, i.subject, *_due_key(i), i.key),
    }
    return sorted(items, key=keys.get(sort, keys["status"]), reverse=desc)


def parse_month(text: str | None, today: date) -> date:
    """The first day of `YYYY-MM`, or of today's month when absent or malformed (years 2000–2100)."""
    if text:
        try:
            year, month = (int(p) for p in text.split("-", 1))
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


def month(items: Sequence[ObligationOut], first: date, today: date) -> Month:
    """The month's weeks (Monday first), each day with the items due on it, overdue ones first."""
    by_day: dict[date, list[ObligationOut]] = defaultdict(list)
    undated = []
    for item in ordered(items, "status", False):
        if item.due_date is None:
            undated.append(item)
        else:
            by_day[item.due_date].append(item)
    start = first - timedelta(days=first.weekday())
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    end = last + timedelta(days=6 - last.weekday())
    weeks: list[list[Day]] = []
    day = start
    while day <= end:
        week = []
        for _ in range(7):
            week.append(Day(day, day.month == first.month, day == today, by_day.get(day, [])))
            day += timedelta(days=1)
        weeks.append(week)
    dates = sorted(by_day)
    return Month(first, weeks, undated, earlier=next((d for d in reversed(dates) if d < first), None),
                 later=next((d for d in dates if d > last), None))


def in_month(items: Sequence[ObligationOut], first: date) -> dict[str, int]:
    """How many items fall due in the month, by status."""
    counts = dict.fromkeys(STATUSES, 0)
    for i in items:
        if i.due_date is not None and (i.due_date.year, i.due_date.month) == (first.year, first.month):
            counts[i.status] = counts.get(i.status, 0) + 1
    return counts

"""Whether a debtor's personal data is past retention: a pure decision (no database, no clock), unit-tested on
its edges (exactly the end, 29 February, several institutions).

A debtor is past retention at `at` when
- every debt of his, at every institution, is closed (settled), and
- nothing keeps him open: no hold still in force, no complaint not yet resolved, and
- `at` is at or after the end of retention of EVERY institution he has debts with: his last activity (a debt
  settled, an attempt, a repayment, a complaint, a hold released) plus that institution's retention years,
  counted in calendar years on the institution's local clock. A last activity on 29 February ends on 1 March of a
  year that has no 29 February (kept *at least* the years: the later of the two possible days)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DebtorFacts:
    debtor_id: str
    institutions: frozenset[str]  # every institution he has debts with
    open_debts: int
    last_activity: datetime | None
    open_holds: int = 0
    open_complaints: int = 0
    zones: Mapping[str, str] = field(default_factory=dict)  # institution → its time zone (default Asia/Shanghai)


@dataclass(frozen=True)
class Verdict:
    past: bool
    reason: str  # past, open-debt, open-hold, open-complaint, no-debt, within-retention
    ends_at: datetime | None = None  # when retention ends (the latest over his institutions)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February goes to 1 March when that year has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return date(day.year + years, 3, 1)


def retention_end(last: datetime, years: int, zone: str = "Asia/Shanghai") -> datetime:
    """The instant retention of `years` ends after `last`, counted on the local clock of `zone` (the same local
    time of day; a wall time that a transition skipped resolves as zoneinfo does, fold 0)."""
    tz = ZoneInfo(zone)
    local = last.astimezone(tz)
    return datetime.combine(add_years(local.date(), years), local.time(), tzinfo=tz)


def decide(facts: DebtorFacts, years: Mapping[str, int], at: datetime, default_years: int) -> Verdict:
    """Past retention, or the first reason it is not (see the module's docstring)."""
    if not facts.institutions:
        return Verdict(False, "no-debt")
    if facts.open_debts:
        return Verdict(False, "open-debt")
    if facts.open_holds:
        return Verdict(False, "open-hold")
    if facts.open_complaints:
        return Verdict(False, "open-complaint")
    if facts.last_activity is None:
        return Verdict(False, "no-debt")
    ends = max(retention_end(facts.last_activity, years.get(i, default_years), facts.zones.get(i, "Asia/Shanghai"))
               for i in facts.institutions)
    if at < ends:
        return Verdict(False, "within-retention", ends)
    return Verdict(True, "past", ends)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def latest(*instants: datetime | None) -> datetime | None:
    out: datetime | None = None
    for i in instants:
        out = _later(out, i)
    return out



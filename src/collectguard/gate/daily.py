"""Pre-aggregated daily figures: what the gate was asked and answered, and what happened, per institution,
local day, organisation, collector and channel (`daily_figures`), and the denials per failing rule
(`daily_denials`), so that the console reads a few hundred rows instead of counting a million attempts.

One way to count (`Tally.add`), used by the gate's batch (in the same transaction as its decisions and
outcomes, never by a separate job), by migration 0018's backfill and by the demo's history:

- the key is (institution, day, org, collector, channel): `day` is the local day of the attempt's `at` in the
  institution's zone (`registry.repository.institution_zone`), `org` the collector's organisation (an agency,
  or the institution itself);
- a decision adds 1 to `attempts` and to `allowed` or `denied`, and a denied one 1 per failing rule id to
  `daily_denials`;
- a settled outcome adds 1 to `outcomes`, to `connected` if connected and to `against_deny` if it was a
  contact made although the gate denied it — on its ATTEMPT's row (the attempt's day, collector, channel).

Increments are summed per key first, then upserted in key order (INSERT … ON CONFLICT DO UPDATE SET
n = n + excluded.n, on SQLite and PostgreSQL): concurrent batches lock the rows in the same order. The read
functions at the bottom are what the console shows; they are pure reads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collectguard.gate.models import AttemptRow, DailyDenials, DailyFigures
from collectguard.gate.snapshot import RegistrySnapshot
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone

COUNTERS = ("attempts", "allowed", "denied", "outcomes", "connected", "against_deny")
KEY = ("institution_id", "day", "org_id", "collector_id", "channel")
FIGURES = cast(Table, DailyFigures.__table__)
DENIALS = cast(Table, DailyDenials.__table__)

Key = tuple[str, date, str, str, str]  # institution, day, org, collector, channel
RuleKey = tuple[str, date, str, str, str, str]  # the same, and the failing rule
DEFAULT_ZONE = "Asia/Shanghai"  # an institution's zone unless it names another (registry.repository.institution_zone)


class Counted(NamedTuple):
    """One attempt as the figures count it."""

    institution_id: str
    at: datetime
    org_id: str
    collector_id: str
    channel: str
    allowed: bool
    failing: Sequence[str]
    connected: bool | None
    against_deny: bool


@dataclass
class Tally:
    """Increments summed per key, to be written once (`write`)."""

    figures: dict[Key, list[int]] = field(default_factory=dict)
    denials: dict[RuleKey, int] = field(default_factory=dict)

    def add(self, row: Counted, zone: ZoneInfo, *, decision: bool, outcome: bool) -> None:
        """Count `row`'s decision and/or its settled outcome, on the local day of its `at` in `zone`."""
        key: Key = (row.institution_id, row.at.astimezone(zone).date(), row.org_id, row.collector_id, row.channel)
        counts = self.figures.get(key)
        if counts is None:
            counts = self.figures[key] = [0] * len(COUNTERS)
        if decision:
            counts[0] += 1
            counts[1 if row.allowed else 2] += 1
            if not row.allowed:
                for rule in dict.fromkeys(row.failing):
                    rule_key = (*key, rule)
                    self.denials[rule_key] = self.denials.get(rule_key, 0) + 1
        if outcome:
            counts[3] += 1
            counts[4] += bool(row.connected)
            counts[5] += bool(row.against_deny)

    def __bool__(self) -> bool:
        return bool(self.figures)


def _upserts(dialect: str, figures: Any, denials: Any) -> tuple[Any, Any]:
    """INSERT … ON CONFLICT (key) DO UPDATE SET counter = counter + excluded.counter, for both tables."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    add_figures = insert(figures)
    add_figures = add_figures.on_conflict_do_update(
        index_elements=list(KEY), set_={c: figures.c[c] + add_figures.excluded[c] for c in COUNTERS})
    add_denials = insert(denials)
    add_denials = add_denials.on_conflict_do_update(
        index_elements=[*KEY, "rule"], set_={"n": denials.c.n + add_denials.excluded.n})
    return add_figures, add_denials


UPSERTS = {dialect: _upserts(dialect, FIGURES, DENIALS) for dialect in ("sqlite", "postgresql")}  # built once


def write(connection: Connection, tally: Tally, *, tables: tuple[Any, Any] | None = None) -> None:
    """Upsert the tally's increments, in key order (both tables), in the caller's transaction. `tables`:
    (figures, denials) as a migration defines them (migration 0018's backfill), the models' by default."""
    dialect = connection.dialect.name
    add_figures, add_denials = _upserts(dialect, *tables) if tables else UPSERTS[dialect]
    if tally.figures:
        connection.execute(add_figures, [{**dict(zip(KEY, key, strict=True)), **dict(zip(COUNTERS, counts, strict=True))}
                                         for key, counts in sorted(tally.figures.items())])
    if tally.denials:
        connection.execute(add_denials, [{**dict(zip((*KEY, "rule"), key, strict=True)), "n": n}
                                         for key, n in sorted(tally.denials.items())])


def _zone(snap: RegistrySnapshot, session: Session, institution_id: str) -> ZoneInfo:
    """The institution's zone, read once per registry snapshot (an institution's change moves the registry
    version, so a new snapshot reads it again)."""
    zones: dict[str, ZoneInfo] = snap.extra.setdefault("daily_zones", {})
    zone = zones.get(institution_id)
    if zone is None:
        zone = zones[institution_id] = institution_zone(session, institution_id)
    return zone


SETTLED = select(AttemptRow.id, AttemptRow.institution_id, AttemptRow.collector_id, AttemptRow.channel,
                 AttemptRow.at, AttemptRow.allowed, m.Collector.org_id, m.Institution.timezone) \
    .outerjoin(m.Collector, m.Collector.id == AttemptRow.collector_id) \
    .outerjoin(m.Institution, m.Institution.id == AttemptRow.institution_id) \
    .where(AttemptRow.id.in_(bindparam("ids", expanding=True)))


def record_batch(session: Session, decided: Sequence[Mapping[str, Any]], settled: Sequence[Mapping[str, Any]],
                 snap: RegistrySnapshot) -> None:
    """The gate's batch (gate/batch.py), after its writes: count the attempt rows it inserted (`decided`, their
    collectors' organisations from the registry snapshot) and the outcomes it settled (`settled`: id, connected,
    against_deny; their attempts read with one query), and upsert the sums."""
    if not decided and not settled:
        return
    tally = Tally()
    for row in decided:
        institution, collector = row["institution_id"], snap.collectors.get(row["collector_id"])
        tally.add(Counted(institution, row["at"], collector.org_id if collector else institution, row["collector_id"],
                          row["channel"], row["allowed"], row["failing"], None, False),
                  _zone(snap, session, institution), decision=True, outcome=False)
    if settled:
        outcomes = {s["id"]: s for s in settled}
        for a in session.connection().execute(SETTLED, {"ids": list(outcomes)}):
            s = outcomes[a.id]
            tally.add(Counted(a.institution_id, a.at, a.org_id or a.institution_id, a.collector_id, a.channel,
                              a.allowed, (), s["connected"], s["against_deny"]),
                      ZoneInfo(a.timezone or DEFAULT_ZONE), decision=False, outcome=True)
    write(session.connection(), tally)


def count_attempts(rows: Iterable[Any], zone_of: Callable[[str], ZoneInfo], tally: Tally | None = None) -> Tally:
    """Count whole attempt rows (decision, and outcome when one was reported: `outcome_at` set), with their
    collector's `org_id` (None: the institution's own): the backfill and the demo's history."""
    tally = tally if tally is not None else Tally()
    for r in rows:
        tally.add(Counted(r.institution_id, r.at, r.org_id or r.institution_id, r.collector_id, r.channel, r.allowed,
                          r.failing or (), r.connected, r.against_deny),
                  zone_of(r.institution_id), decision=True, outcome=r.outcome_at is not None)
    return tally


# -- reads (the console) ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    """Summed counters, under `key`: a day (`totals`), an organisation, a channel or a collector id."""

    key: Any
    attempts: int = 0
    allowed: int = 0
    denied: int = 0
    outcomes: int = 0
    connected: int = 0
    against_deny: int = 0


@dataclass(frozen=True)
class RuleCount:
    rule: str
    n: int


def today(session: Session, institution_id: str, now: datetime) -> date:
    """The institution's local day at `now` (the day its figures are counted on)."""
    return now.astimezone(institution_zone(session, institution_id)).date()


def _where(table: Any, institution_id: str, first_day: date, last_day: date, orgs: Collection[str] | None,
           collector: str | None) -> list[ColumnElement[bool]]:
    where = [table.institution_id == institution_id, table.day >= first_day, table.day <= last_day]
    if orgs is not None:
        where.append(table.org_id.in_(sorted(orgs)))
    if collector is not None:
        where.append(table.collector_id == collector)
    return where


def _grouped(session: Session, column: Any, institution_id: str, first_day: date, last_day: date,
             orgs: Collection[str] | None, collector: str | None) -> list[Totals]:
    sums = [func.sum(getattr(DailyFigures, c)) for c in COUNTERS]
    rows = session.execute(select(column, *sums)
                           .where(*_where(DailyFigures, institution_id, first_day, last_day, orgs, collector))
                           .group_by(column)).all()
    return [Totals(row[0], *(int(v or 0) for v in row[1:])) for row in rows]


def totals(session: Session, institution_id: str, first_day: date, last_day: date, *,
           orgs: Collection[str] | None = None, collector: str | None = None) -> list[Totals]:
    """One row per day from `first_day` to `last_day` (inclusive, in order; zeros where nothing happened).
    `orgs`: only these organisations' collectors (an agency user sees its own); `collector`: only this one."""
    by_day = {t.key: t for t in _grouped(session, DailyFigures.day, institution_id, first_day, last_day, orgs,
                                         collector)}
    days = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    return [by_day.get(d, Totals(d)) for d in days]


def _ordered(rows: list[Totals]) -> list[Totals]:
    return sorted(rows, key=lambda t: (-t.attempts, t.key))


def by_org(session: Session, institution_id: str, first_day: date, last_day: date, *,
           orgs: Collection[str] | None = None, collector: str | None = None) -> list[Totals]:
    """Per organisation (agency id, or the institution's own id), most attempts first."""
    return _ordered(_grouped(session, DailyFigures.org_id, institution_id, first_day, last_day, orgs, collector))


def by_channel(session: Session, institution_id: str, first_day: date, last_day: date, *,
               orgs: Collection[str] | None = None, collector: str | None = None) -> list[Totals]:
    """Per channel, most attempts first."""
    return _ordered(_grouped(session, DailyFigures.channel, institution_id, first_day, last_day, orgs, collector))


def by_collector(session: Session, institution_id: str, first_day: date, last_day: date, *,
                 orgs: Collection[str] | None = None, collector: str | None = None) -> list[Totals]:
    """Per collector, most attempts first."""
    return _ordered(_grouped(session, DailyFigures.collector_id, institution_id, first_day, last_day, orgs,
                             collector))


def denials_by_rule(session: Session, institution_id: str, first_day: date, last_day: date, *,
                    orgs: Collection[str] | None = None, collector: str | None = None,
                    channel: str | None = None) -> list[RuleCount]:
    """Denied attempts per failing rule id (an attempt denied by two rules counts under each), most first."""
    where = _where(DailyDenials, institution_id, first_day, last_day, orgs, collector)
    if channel is not None:
        where.append(DailyDenials.channel == channel)
    total = func.sum(DailyDenials.n)
    rows = session.execute(select(DailyDenials.rule, total).where(*where).group_by(DailyDenials.rule)).all()
    return sorted((RuleCount(rule, int(n or 0)) for rule, n in rows), key=lambda r: (-r.n, r.rule))

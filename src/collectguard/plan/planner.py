"""Plan a day's contacts so that the gate allows every one of them.

Method (stated): greedy by priority with slot search. Rows are taken by priority, highest first (ties: worklist
order). For each row, every option — a collector of the organisation holding the debt that day (the agency of the
placement in force, else the institution's own team), a tool of the channel's type, a template of the channel, a
mode — is tried on the collectors' slot grid (the shift, default 09:00–18:00 in the institution's zone, cut into
`calls_per_hour` slots per collector) and the earliest slot where that collector is free and the rulebook allows
the attempt is taken. A slot is checked with the gate's own loader (gate/repository.py: the same rows, limits,
history — including what is already leased or used today) and `rulebook.engine.evaluate`; no rule is
re-implemented here. Each planned contact joins the debtor's history as a connected call, so caps, letter spacing
and windows count it for the rows planned after it. A denial the rulebook can move in time jumps to its
`next_allowed_at`; one it cannot drops that option.

The baseline (`search=False`, for bench/plan.py): worklist order, each row at its organisation's next free slot,
the first option the rulebook allows there, no search in time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.db.store import Store
from collectguard.errors import CollectGuardError
from collectguard.gate.repository import (
    DebtorRows,
    LimitsCache,
    Past,
    build_facts,
    history_days,
    load_contacts,
    parties,
)
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.snapshot import RegistrySnapshot, SnapshotCache
from collectguard.plan.model import Planned, PlanResult, Unplanned, Wanted
from collectguard.registry import models as m
from collectguard.rulebook.engine import evaluate
from collectguard.rulebook.profile import DEFAULT_PROFILE, Profile, load_profile
from collectguard.rulebook.vocabulary import (
    ONE_WAY_CHANNELS,
    TOOL_TYPE_FOR_CHANNEL,
    Audience,
    Channel,
    CollectorStatus,
    Delivery,
    LeaseState,
    Mode,
)

DEFAULT_SHIFT = (time(9, 0), time(18, 0))
DEFAULT_CALLS_PER_HOUR = 12
CALL_S = 60  # every planned contact is assumed connected, lasting this long


@dataclass(frozen=True)
class Shift:
    """Working hours (the institution's zone) and pace: the default for every collector, and `by_collector`
    (collector → (from, to, calls per hour or None for this default's)) for those with their own shift."""

    start: time = DEFAULT_SHIFT[0]
    end: time = DEFAULT_SHIFT[1]
    calls_per_hour: int = DEFAULT_CALLS_PER_HOUR
    by_collector: Mapping[str, tuple[time, time, int | None]] = field(default_factory=dict)

    def of(self, collector: str) -> tuple[time, time, int]:
        own = self.by_collector.get(collector)
        if own is None:
            return self.start, self.end, self.calls_per_hour
        return own[0], own[1], own[2] or self.calls_per_hour


@dataclass(frozen=True)
class Option:
    collector: str
    tool: str | None
    template: str | None
    mode: Mode
    envelope: str | None = None


class _World:
    """The day's facts, loaded once with the gate's loader; planned contacts join the history."""

    def __init__(self, session: Session, profile: Profile, debt_ids: list[str], day: date) -> None:
        self.profile = profile
        self.snap: RegistrySnapshot = SnapshotCache().get(session)
        debts = {d.id: d for d in session.execute(select(m.Debt.id, m.Debt.debtor_id, m.Debt.institution_id)
                                                  .where(m.Debt.id.in_(debt_ids)))}
        self.debts = debts
        self.zones = {i.id: ZoneInfo(i.timezone or "Asia/Shanghai")
                      for i in session.execute(select(m.Institution.id, m.Institution.timezone))}
        self.found, debtors = parties(session, sorted({d.debtor_id for d in debts.values()}))
        load_contacts(session, self.found)
        self.rows = DebtorRows.load(session, debtors, sorted(debts))
        self.limits = LimitsCache(profile, self.snap, self.rows)
        days = max([history_days(self.limits.get(d.institution_id, d.debtor_id)) for d in debts.values()] or [1])
        since = datetime.combine(day, time(0), ZoneInfo("UTC")) - timedelta(days=days + 2)
        self.rows.load_past(session, list(debtors), since, [])
        self.day = day
        self._n = 0

    def org_of(self, debt: Any) -> str:
        """The organisation holding the debt on the day: the placement in force, else the institution."""
        for p in self.rows.placements.get(debt.id, ()):
            if p.valid_from <= self.day <= p.valid_to:
                return p.agency_id
        return str(debt.institution_id)

    def options(self, debt: Any, channel: Channel) -> list[Option]:
        org, inst = self.org_of(debt), debt.institution_id
        collectors = sorted(c.id for c in self.snap.collectors.values()
                            if c.org_id == org and c.status is CollectorStatus.ACTIVE)
        needed = TOOL_TYPE_FOR_CHANNEL.get(channel)
        tools = [t for t in self.snap.tools.values() if t.institution_id == inst and t.type is needed]
        templates = sorted(t.id for t in self.snap.templates.values()
                           if t.institution_id == inst and t.channel is channel and t.approved and t.active
                           and t.audience is Audience.DEBTOR)
        envelopes = sorted(t.id for t in self.snap.templates.values()
                           if t.institution_id == inst and t.approved and t.active
                           and t.channel is Channel.LETTER) if channel is Channel.LETTER else []
        out: list[Option] = []
        for collector in collectors:
            org_tools = sorted(tools, key=lambda t: (t.org_id not in (None, org), t.org_id != org, t.id))
            tool_ids: list[str | None] = [t.id for t in org_tools] or [None]
            for tool_id in tool_ids:
                for template in templates:
                    # an envelope other than the letter itself first (the rulebook judges either)
                    envelope_ids: list[str | None] = sorted(envelopes, key=lambda e: e == template) or [None]
                    for envelope in envelope_ids:
                        out.append(Option(collector, tool_id, template, Mode.NOTIFICATION, envelope))
                if channel not in ONE_WAY_CHANNELS:
                    out.append(Option(collector, tool_id, None, Mode.INTERACTIVE))
        return out

    def attempt(self, wanted: Wanted, debt: Any, option: Option) -> AttemptIn:
        self._n += 1
        return attempt_in(f"plan-{wanted.line}-{self._n}", debt.id, debt.debtor_id, wanted.channel, option.collector,
                          option.mode, option.tool, option.template, option.envelope)

    def judge(self, attempt: AttemptIn, at: datetime) -> Any:
        facts = build_facts(attempt, at, self.snap, self.rows, self.limits, self.found[attempt.party])
        return evaluate(facts, self.profile), facts

    def record(self, attempt: AttemptIn, at: datetime, decision: Any, facts: Any) -> None:
        """The planned contact joins the debtor's history as the gate will have it: allowed, connected."""
        debtor = self.found[attempt.party][1]
        self.rows.past[debtor][attempt.id] = Past(
            id=attempt.id, institution_id=facts.institution_id, at=at, channel=attempt.channel.value,
            mode=(decision.mode or attempt.mode).value, allowed=True, party_id=attempt.party,
            quota_rule=decision.lease_rule,
            lease_state=(LeaseState.CONSUMED if decision.lease_rule else LeaseState.NONE).value,
            lease_expires_at=None, connected=True, product=facts.debt.product,
            ended_at=at + timedelta(seconds=CALL_S))


def attempt_in(ident: str, debt: str, party: str, channel: Channel, collector: str, mode: Mode, tool: str | None,
               template: str | None, envelope: str | None = None) -> AttemptIn:
    """The attempt a planned contact makes: what the planner judged, and what a dialer sends to the gate."""
    return AttemptIn(id=ident, collector=collector, debt=debt, party=party, channel=channel, mode=mode, tool=tool,
                     template=template, recording=True if channel is Channel.VOICE else None,
                     delivery=Delivery.POST if channel is Channel.LETTER else None, envelope_template=envelope)


def planned_attempt(planned: Planned, ident: str) -> AttemptIn:
    """The gate attempt of a planned row (tests/plan replay the plan through the gate with it)."""
    return attempt_in(ident, planned.wanted.debt, planned.party, planned.wanted.channel, planned.collector,
                      Mode(planned.mode), planned.tool, planned.template, planned.envelope)


def _grid(day: date, zone: ZoneInfo, hours: tuple[time, time, int]) -> list[datetime]:
    """A collector's slots on `day`: from the shift's start, one every hour / calls per hour, each ending in it."""
    first, last, per_hour = hours
    step = timedelta(seconds=3600 // max(1, per_hour))
    t, end = datetime.combine(day, first, zone), datetime.combine(day, last, zone)
    slots = []
    while t + timedelta(seconds=CALL_S) <= end:
        slots.append(t)
        t += step
    return slots


def _reason(decision: Any) -> tuple[str, str]:
    rules = ", ".join(decision.failing_rules) or "error"
    return f"当日无允许的时段（{rules}）", f"no allowed slot that day ({rules})"


def plan_day(store: Store, worklist: list[Wanted], day: date, *, shift: Shift | None = None,
             profile: str = DEFAULT_PROFILE, search: bool = True) -> PlanResult:
    """Plan `worklist` on `day` (see the module's doc for the method). Reads the database, writes nothing."""
    shift = shift or Shift()
    prof = load_profile(profile)
    result = PlanResult()
    with store.read() as session:
        world = _World(session, prof, sorted({w.debt for w in worklist}), day)
        busy: dict[str, set[datetime]] = defaultdict(set)
        # A debtor's contacts are planned in time order: a contact placed before one already planned would change
        # the history that one was judged on (a letter at 08:05 breaks the spacing of a letter planned at 08:25).
        latest: dict[str, datetime] = {}
        order = sorted(worklist, key=lambda w: (-w.priority, w.line)) if search else list(worklist)
        for wanted in order:
            debt = world.debts.get(wanted.debt)
            if debt is None or debt.debtor_id not in world.found:
                result.unplanned.append(Unplanned(wanted, f"未知的债务 {wanted.debt}", f"unknown debt {wanted.debt}"))
                continue
            zone = world.zones.get(debt.institution_id, ZoneInfo("Asia/Shanghai"))
            floor = latest.get(debt.debtor_id)

            def grid(collector: str, zone: ZoneInfo = zone, floor: datetime | None = floor) -> list[datetime]:
                return [t for t in _grid(day, zone, shift.of(collector)) if floor is None or t >= floor]

            options = world.options(debt, wanted.channel)
            if not options:
                result.unplanned.append(Unplanned(
                    wanted, f"持有机构 {world.org_of(debt)} 无可用的催收员、工具或模板",
                    f"{world.org_of(debt)} has no active collector, tool or template for {wanted.channel.value}"))
                continue
            found = _search(world, wanted, debt, options, grid, busy) if search else \
                _first_come(world, wanted, debt, options, grid, busy)
            if isinstance(found, Unplanned):
                result.unplanned.append(found)
                continue
            option, at, attempt, decision, facts = found
            world.record(attempt, at, decision, facts)
            busy[option.collector].add(at)
            latest[debt.debtor_id] = max(at, latest.get(debt.debtor_id, at))
            zone = facts.party.zone if facts.party is not None else at.tzinfo
            result.planned.append(Planned(wanted, attempt.party, option.collector, option.tool, option.template,
                                          option.mode.value, at.astimezone(zone), option.envelope))
    return result


def _search(world: _World, wanted: Wanted, debt: Any, options: list[Option],
            grids: Callable[[str], list[datetime]], busy: dict[str, set[datetime]]) -> Any:
    """The earliest slot of any option that the rulebook allows (`grids(collector)`: that collector's slots)."""
    best: Any = None
    last: Any = None
    for option in options:
        grid = grids(option.collector)
        if not grid:
            continue
        attempt = world.attempt(wanted, debt, option)
        i = 0
        while i < len(grid):
            at = grid[i]
            if best is not None and at >= best[1]:
                break
            if at in busy[option.collector]:
                i += 1
                continue
            try:
                decision, facts = world.judge(attempt, at)
            except CollectGuardError as exc:
                return Unplanned(wanted, exc.message_zh, exc.message_en)
            if decision.allowed:
                best = (option, at, attempt, decision, facts)
                break
            if last is None or len(decision.failing_rules) < len(last.failing_rules):
                last = decision  # the reason given: the option that came closest
            nxt = decision.next_allowed_at
            if nxt is None or nxt.date() > grid[-1].date() + timedelta(days=1):
                break
            i = max(i + 1, next((j for j, t in enumerate(grid) if t >= nxt), len(grid)))
    if best is None:
        zh, en = _reason(last) if last is not None else ("所有催收员当日已排满", "every collector's shift is full")
        return Unplanned(wanted, zh, en)
    return best


def _first_come(world: _World, wanted: Wanted, debt: Any, options: list[Option],
                grids: Callable[[str], list[datetime]], busy: dict[str, set[datetime]]) -> Any:
    """The baseline: the earliest slot any option's collector has free, whatever the rulebook says of later ones."""
    last: Any = None
    slots = {o.collector: set(grids(o.collector)) for o in options}
    for at in sorted(set().union(*slots.values())):
        free = [o for o in options if at in slots[o.collector] and at not in busy[o.collector]]
        if not free:
            continue
        for option in free:
            attempt = world.attempt(wanted, debt, option)
            try:
                decision, facts = world.judge(attempt, at)
            except CollectGuardError as exc:
                return Unplanned(wanted, exc.message_zh, exc.message_en)
            if decision.allowed:
                return option, at, attempt, decision, facts
            if last is None or len(decision.failing_rules) < len(last.failing_rules):
                last = decision
        break
    zh, en = _reason(last) if last is not None else ("所有催收员当日已排满", "every collector's shift is full")
    return Unplanned(wanted, zh, en)

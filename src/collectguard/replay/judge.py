"""判定 / Judging a partition of calls against the history as it actually happened (FORMAT.md, Meaning).

`judge(world, calls)` takes the calls of one partition (a set of debtors / parties), sorts them by start
(ties: file order) and judges each with the rulebook's own rules (`engine.failures`: what `evaluate` checks).
No database, no leases: every call joins the history with its real outcome, whatever its verdict.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collectguard.gate.repository import history_days
from collectguard.replay.logs import flag
from collectguard.replay.model import Call, Verdict
from collectguard.replay.world import ReplayWorld
from collectguard.rulebook import facts as f
from collectguard.rulebook.engine import failures
from collectguard.rulebook.usage import lease_consumed, quota_rule_for
from collectguard.rulebook.vocabulary import (
    Channel,
    DebtStatus,
    Delivery,
    LeaseState,
    Mode,
    PartyKind,
    Purpose,
)

# A letter's delivery and envelope template, a visit's team (id → collector) and whether IDs were shown.
_Paper = tuple["Delivery | None", "str | None", "dict[str, f.Collector | None]", "bool | None"]
_NO_PAPER: _Paper = (None, None, {}, None)
_PAPER_OR_VISIT = frozenset({Channel.LETTER, Channel.VISIT})


class _History:
    """Per (institution, debtor) past attempts in start order, with their start times for bisecting."""

    __slots__ = ("times", "past")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.past: list[f.PastAttempt] = []

    def since(self, at: datetime) -> tuple[f.PastAttempt, ...]:
        """The attempts from `at` on. Calls are judged in start order, so what is older than `at` is never
        asked for again: once that is most of the list, it is dropped (a long log's memory stays flat)."""
        first = bisect_left(self.times, at)
        if first > 64 and first > len(self.times) // 2:
            del self.times[:first], self.past[:first]
            first = 0
        return tuple(self.past[first:])


class _Lookups:
    """Everything a call is judged on besides its instant, template and history, looked up once per thing it
    depends on — a collector, a tool number, a party number, a debtor's debts, a party's limits — so a million
    calls spread over every pair of collector and debtor cost a look-up each, not a fresh match."""

    def __init__(self, world: ReplayWorld) -> None:
        self.world = world
        self.histories: dict[tuple[str, str], _History] = {}  # (institution, debtor)
        self._collectors: dict[str, tuple[Any, frozenset[str], str] | None] = {}
        self._tools: dict[str, str | None] = {}
        self._parties: dict[str, tuple[str, str] | None] = {}
        self._kinds: dict[tuple[str, str, str | None], tuple[Channel, Mode, Purpose | None] | None] = {}
        self._debts: dict[tuple[frozenset[str], str, str | None], f.Debt | str] = {}
        self._working_for: dict[tuple[str, str], tuple[f.Collector, Any, Any, Any, tuple[f.Agreement, ...]]] = {}
        self._reached: dict[tuple[str, str], _Reached] = {}
        self._on_debt: dict[tuple[str, str, str], tuple[tuple[f.Placement, ...], tuple[f.Hold, ...]]] = {}

    def collector(self, collector_id: str) -> tuple[Any, frozenset[str], str] | None:
        """(registry row, institutions it can work for, agency label) of a collector, None if unknown."""
        if collector_id not in self._collectors:
            world = self.world
            row = world.snap.collectors.get(collector_id)
            self._collectors[collector_id] = None if row is None else (
                row, frozenset(world.institution_of_collector(collector_id)), world.agency_label(collector_id))
        return self._collectors[collector_id]

    def tool(self, number: str) -> str | None:
        if number not in self._tools:
            tool_id = self.world.tools_by_number.get(number)
            if tool_id is None and number in self.world.snap.tools:
                tool_id = number
            self._tools[number] = tool_id
        return self._tools[number]

    def party(self, number: str) -> tuple[str, str] | None:
        """(party, its debtor) of a number: a debtor before a contact when several share it."""
        if number not in self._parties:
            world = self.world
            parties = [p for p in world.parties_by_number.get(number) or () if p in world.party_kind]
            if parties:
                party_id = sorted(parties, key=lambda p: world.party_kind[p][0] is not PartyKind.DEBTOR)[0]
                self._parties[number] = (party_id, world.party_kind[party_id][1])
            else:
                self._parties[number] = None
        return self._parties[number]

    def debt(self, insts: frozenset[str], debtor_id: str, debt_id: str | None) -> f.Debt | str:
        """The debt named, or the debtor's one open debt with an institution the collector works for; else why
        not (an unmatched reason)."""
        key = (insts, debtor_id, debt_id)
        got = self._debts.get(key)
        if got is None:
            world = self.world
            if debt_id:
                got = world.debt(debt_id) or "unknown-debt"
            else:
                open_ids = {d.id for d in world.debts_by_debtor.get(debtor_id, ())
                            if d.institution_id in insts and d.status == DebtStatus.OPEN.value}
                if not open_ids:
                    got = "no-open-debt"
                elif len(open_ids) > 1:
                    got = "several-open-debts"
                else:
                    got = world.debt(open_ids.pop()) or "unknown-debt"
            self._debts[key] = got
        return got

    def kinds(self, call: Call) -> tuple[Channel, Mode, Purpose | None] | None:
        key = (call.channel, call.mode, call.purpose)
        if key not in self._kinds:
            try:
                self._kinds[key] = (Channel(call.channel), Mode(call.mode),
                                    Purpose(call.purpose) if call.purpose else None)
            except ValueError:
                self._kinds[key] = None
        return self._kinds[key]

    def working_for(self, collector_id: str, row: Any, inst: str) -> tuple[f.Collector, Any, Any, Any,
                                                                           tuple[f.Agreement, ...]]:
        """(collector, agency, parent agency, root agency, agreements) as the facts of a debt of `inst` hold them."""
        key = (collector_id, inst)
        got = self._working_for.get(key)
        if got is None:
            collector = self.world.snap.collector(collector_id, inst) or row
            got = self._working_for[key] = (collector, *self.world.agency_facts(collector, inst))
        return got

    def reached(self, party_id: str, debtor_id: str, inst: str) -> _Reached:
        key = (inst, party_id)
        got = self._reached.get(key)
        if got is None:
            world = self.world
            party = world.party(party_id, inst)
            limits = world.limits.get(inst, debtor_id)
            history = self.histories.setdefault((inst, debtor_id), _History())
            got = self._reached[key] = _Reached(party, limits, history, timedelta(days=history_days(limits)),
                                                party.zone)
        return got

    def on_debt(self, inst: str, debt: f.Debt, debtor_id: str) -> tuple[tuple[f.Placement, ...], tuple[f.Hold, ...]]:
        """(placements, holds) of a debt, for calls reaching `debtor_id`."""
        key = (inst, debt.id, debtor_id)
        got = self._on_debt.get(key)
        if got is None:
            rows = self.world.rows
            got = self._on_debt[key] = (tuple(rows.placements.get(debt.id, ())),
                                        rows.holds_for(inst, debt.id, debtor_id))
        return got

    def paper(self, call: Call, channel: Channel, inst: str) -> _Paper | None:
        """A letter's delivery and envelope template, a visit's team and whether IDs were shown, from the row's
        extra (`delivery=post`, `envelope=T`, `team=c2,c3`, `ids_shown=true`); None when a value is not one the
        rulebook knows."""
        extra = call.extra
        try:
            delivery = Delivery(extra["delivery"]) if extra.get("delivery") else None
        except ValueError:
            return None
        members = [m for m in extra.get("team", "").replace(",", " ").split() if m]
        team = {m: self.world.snap.collector(m, inst) for m in members} if channel is Channel.VISIT else {}
        ids = extra.get("ids_shown")
        return delivery, extra.get("envelope") or None, team, None if ids is None else flag(ids)


@dataclass(slots=True)
class _Reached:
    """What a party brings to the facts of a debt of one institution."""

    party: f.Party
    limits: Any
    history: _History
    look_back: timedelta
    zone: Any


def judge(world: ReplayWorld, calls: list[Call]) -> list[Verdict]:
    """Verdicts for the calls of one partition, in the order of `calls`; judged in start order (ties: file
    order), each against the earlier calls of the partition."""
    out: list[Verdict | None] = [None] * len(calls)
    for i, verdict in judge_in_order(world, calls):
        out[i] = verdict
    return out  # type: ignore[return-value]


def judge_in_order(world: ReplayWorld, calls: list[Call]) -> Iterator[tuple[int, Verdict]]:
    """(position in `calls`, verdict) for every call, as judged: in start order (ties: file order), each call
    against the earlier calls of the partition — so a caller may drop a call once its verdict is out."""
    ordered = sorted(range(len(calls)), key=lambda i: (calls[i].start, calls[i].order))
    snap, profile = world.snap, world.profile
    min_effective_s = profile.effective_call_min_duration_s  # what makes an interactive call effective
    look = _Lookups(world)
    days: dict[Any, str] = {}  # local date → its ISO text
    for i in ordered:
        call = calls[i]
        reason = None
        who = look.collector(call.collector)
        tool_id = None
        if who is None:
            reason = "unknown-collector"
        elif call.tool_number and (tool_id := look.tool(call.tool_number)) is None:
            reason = "unknown-tool-number"
        elif (found := look.party(call.party_number)) is None:
            reason = "unknown-party-number"
        elif isinstance(debt := look.debt(who[1], found[1], call.debt), str):
            reason = debt
        elif (kinds := look.kinds(call)) is None:
            reason = "bad-channel-mode-or-purpose"
        if reason is not None:
            yield i, Verdict(call=call, judged=False, unmatched_reason=reason, collector=call.collector)
            continue
        assert who is not None and found is not None and kinds is not None and not isinstance(debt, str)
        row, _, label = who
        party_id, debtor_id = found
        channel, mode, purpose = kinds
        inst = debt.institution_id
        collector, agency, parent, root, agreements = look.working_for(call.collector, row, inst)
        reached = look.reached(party_id, debtor_id, inst)
        placements, holds = look.on_debt(inst, debt, debtor_id)
        party, hist = reached.party, reached.history
        at = call.start
        attempt_id = f"{call.file}:{call.line}"
        paper = look.paper(call, channel, inst) if channel in _PAPER_OR_VISIT else _NO_PAPER
        if paper is None:
            yield i, Verdict(call=call, judged=False, unmatched_reason="bad-channel-mode-or-purpose",
                             collector=call.collector)
            continue
        delivery, envelope, team, ids_shown = paper
        attempt = f.Attempt(
            id=attempt_id, collector_id=call.collector, debt_id=debt.id, party_id=party_id, channel=channel,
            mode=mode, tool_id=tool_id, template_id=call.template, purpose=purpose, recording=call.recording,
            team=tuple(team), ids_shown=ids_shown, delivery=delivery, envelope_template_id=envelope)
        facts = f.Facts(
            at=at, attempt=attempt, institution_id=inst, limits=reached.limits, collector=collector,
            agency=agency, parent_agency=parent, root_agency=root, agreements=agreements, placements=placements,
            tool=snap.tools.get(tool_id) if tool_id else None,
            template=snap.templates.get(call.template) if call.template else None,
            debt=debt, party=party, history=hist.since(at - reached.look_back), holds=holds, team=team,
            envelope_template=snap.templates.get(envelope) if envelope else None)
        violations, errors = failures(facts, profile)
        rules = tuple(dict.fromkeys([v.rule for v in violations] + [e.rule for e in errors])) if (
            violations or errors) else ()
        local = at.astimezone(reached.zone)
        day = local.date()
        day_text = days.get(day)
        if day_text is None:
            day_text = days[day] = day.isoformat()
        verdict = Verdict(
            call=call, judged=True, rules=rules, agency=label, collector=call.collector, debtor_id=debtor_id,
            debt_id=debt.id, local_day=day_text, local_hour=local.hour)
        # the call as it happened joins the history, whatever its verdict
        rule = quota_rule_for(channel, mode, party.kind)
        if rule is None:
            state = LeaseState.NONE
        elif lease_consumed(rule, connected=call.connected, duration_s=call.duration_s, meaningful=None,
                            effective=None, min_duration_s=min_effective_s):
            state = LeaseState.CONSUMED
        else:
            state = LeaseState.RELEASED
        hist.times.append(at)
        hist.past.append(f.PastAttempt(
            id=attempt_id, at=at, channel=channel, mode=attempt.effective_mode, allowed=True, party_id=party_id,
            quota_rule=rule, lease_state=state, connected=call.connected, product=debt.product,
            ended_at=at + timedelta(seconds=call.duration_s)))
        yield i, verdict

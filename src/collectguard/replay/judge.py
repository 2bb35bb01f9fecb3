"""判定 / Judging a partition of calls against the history as it actually happened (FORMAT.md, Meaning).

`judge(world, calls)` takes the calls of one partition (a set of debtors / parties), sorts them by start
(ties: file order) and judges each with the rulebook's own rules (`engine.failures`: what `evaluate` checks). No database, no leases: every call
joins the history with its real outcome, whatever its verdict.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from collectguard.gate.repository import history_days
from collectguard.replay.model import Call, ReplayResult, Verdict
from collectguard.replay.world import ReplayWorld
from collectguard.rulebook import facts as f
from collectguard.rulebook.engine import failures
from collectguard.rulebook.usage import lease_consumed, quota_rule_for
from collectguard.rulebook.vocabulary import Channel, DebtStatus, LeaseState, Mode, PartyKind, Purpose

MIN_EFFECTIVE_S = 6


def match(world: ReplayWorld, call: Call) -> tuple[str | None, dict[str, Any]]:
    """Resolve a call to (unmatched reason or None, what it matched: tool, party, debt, collector)."""
    return _Matcher(world).match(call)


class _Matcher:
    """`match`, with what repeats between calls (a collector, a number, a debtor's open debts) looked up once."""

    def __init__(self, world: ReplayWorld) -> None:
        self.world = world
        self._tools: dict[str, str | None] = {}
        self._parties: dict[str, tuple[str, str] | None] = {}
        self._debts: dict[tuple[str, str, str | None], f.Debt | str] = {}
        self._kinds: dict[tuple[str, str, str | None], tuple[Channel, Mode, Purpose | None] | None] = {}

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

    def debt(self, collector_id: str, debtor_id: str, debt_id: str | None) -> f.Debt | str:
        """The debt named, or the debtor's one open debt with an institution the collector works for; else why
        not (an unmatched reason)."""
        key = (collector_id, debtor_id, debt_id)
        got = self._debts.get(key)
        if got is None:
            world = self.world
            if debt_id:
                got = world.debt(debt_id) or "unknown-debt"
            else:
                insts = world.institution_of_collector(collector_id)
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

    def match(self, call: Call) -> tuple[str | None, dict[str, Any]]:
        collector = self.world.snap.collectors.get(call.collector)
        if collector is None:
            return "unknown-collector", {}
        tool_id = None
        if call.tool_number:
            tool_id = self.tool(call.tool_number)
            if tool_id is None:
                return "unknown-tool-number", {}
        found = self.party(call.party_number)
        if found is None:
            return "unknown-party-number", {}
        party_id, debtor_id = found
        debt = self.debt(call.collector, debtor_id, call.debt)
        if isinstance(debt, str):
            return debt, {}
        kinds = self.kinds(call)
        if kinds is None:
            return "bad-channel-mode-or-purpose", {}
        channel, mode, purpose = kinds
        return None, {"collector": collector, "tool": tool_id, "party": party_id, "debtor": debtor_id, "debt": debt,
                      "channel": channel, "mode": mode, "purpose": purpose}


class _History:
    """Per (institution, debtor) past attempts in start order, with their start times for bisecting."""

    __slots__ = ("times", "past")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.past: list[f.PastAttempt] = []

    def since(self, at: datetime) -> tuple[f.PastAttempt, ...]:
        return tuple(self.past[bisect_left(self.times, at):])


class _Static:
    """What does not change between the calls of one (collector, tool, number, debt, channel, mode, purpose):
    the facts besides the instant, the template and the history, read once."""

    __slots__ = ("inst", "collector", "party", "limits", "agency", "parent", "root", "agreements", "placements",
                 "holds", "label", "tool_id", "tool", "channel", "mode", "purpose", "debt", "debtor", "history",
                 "look_back", "quota_rule", "zone")


def _static(world: ReplayWorld, call: Call, m: dict[str, Any],
            histories: dict[tuple[str, str], _History]) -> _Static:
    snap = world.snap
    debt: f.Debt = m["debt"]
    st = _Static()
    st.inst = inst = debt.institution_id
    st.collector = snap.collector(call.collector, inst) or m["collector"]
    st.party = world.party(m["party"], inst)
    st.limits = world.limits.get(inst, m["debtor"])
    st.agency, st.parent, st.root, st.agreements = world.agency_facts(st.collector, inst)
    st.placements = tuple(world.rows.placements.get(debt.id, ()))
    st.holds = world.rows.holds_for(inst, debt.id, m["debtor"])
    st.label = world.agency_label(call.collector)
    st.tool_id = m["tool"]
    st.tool = snap.tools.get(m["tool"]) if m["tool"] else None
    st.channel, st.mode, st.purpose = m["channel"], m["mode"], m["purpose"]
    st.debt, st.debtor = debt, m["debtor"]
    st.history = histories.setdefault((inst, m["debtor"]), _History())
    st.look_back = timedelta(days=history_days(st.limits))
    st.quota_rule = quota_rule_for(st.channel, st.mode, st.party.kind)
    st.zone = st.party.zone
    return st


def judge(world: ReplayWorld, calls: list[Call], *, on_progress: Callable[[int], None] | None = None,
          every: int = 20_000) -> list[Verdict]:
    """Verdicts for the calls of one partition, in the order of `calls`; judged in start order (ties: file
    order), each against the earlier calls of the partition. `on_progress(n)` is told every `every` calls
    (and at the end) how many more were judged."""
    ordered = sorted(range(len(calls)), key=lambda i: (calls[i].start, calls[i].order))
    histories: dict[tuple[str, str], _History] = {}
    snap, profile = world.snap, world.profile
    matcher = _Matcher(world)
    out: list[Verdict | None] = [None] * len(calls)
    statics: dict[tuple[Any, ...], _Static | str] = {}  # the same row fields: the same match, the same facts
    days: dict[Any, str] = {}  # local date → its ISO text
    for done, i in enumerate(ordered, start=1):
        if on_progress is not None and done % every == 0:
            on_progress(every)
        call = calls[i]
        key = (call.collector, call.tool_number, call.party_number, call.debt, call.channel, call.mode, call.purpose)
        st = statics.get(key)
        if st is None:
            reason, m = matcher.match(call)
            st = statics[key] = reason if reason is not None else _static(world, call, m, histories)
        if isinstance(st, str):
            out[i] = Verdict(call=call, judged=False, unmatched_reason=st, collector=call.collector)
            continue
        at = call.start
        attempt_id = f"{call.file}:{call.line}"
        attempt = f.Attempt(
            id=attempt_id, collector_id=call.collector, debt_id=st.debt.id, party_id=st.party.id,
            channel=st.channel, mode=st.mode, tool_id=st.tool_id, template_id=call.template,
            purpose=st.purpose, recording=call.recording)
        hist = st.history
        facts = f.Facts(
            at=at, attempt=attempt, institution_id=st.inst, limits=st.limits, collector=st.collector,
            agency=st.agency, parent_agency=st.parent, root_agency=st.root, agreements=st.agreements,
            placements=st.placements, tool=st.tool,
            template=snap.templates.get(call.template) if call.template else None,
            debt=st.debt, party=st.party, history=hist.since(at - st.look_back), holds=st.holds)
        violations, errors = failures(facts, profile)
        rules = tuple(dict.fromkeys([v.rule for v in violations] + [e.rule for e in errors])) if (
            violations or errors) else ()
        local = at.astimezone(st.zone)
        day = local.date()
        day_text = days.get(day)
        if day_text is None:
            day_text = days[day] = day.isoformat()
        out[i] = Verdict(
            call=call, judged=True, rules=rules, agency=st.label, collector=call.collector,
            debtor_id=st.debtor, debt_id=st.debt.id, local_day=day_text, local_hour=local.hour)
        # the call as it happened joins the history, whatever its verdict
        rule = st.quota_rule
        if rule is None:
            state = LeaseState.NONE
        elif lease_consumed(rule, connected=call.connected, duration_s=call.duration_s, meaningful=None,
                            effective=None, min_duration_s=MIN_EFFECTIVE_S):
            state = LeaseState.CONSUMED
        else:
            state = LeaseState.RELEASED
        hist.times.append(at)
        hist.past.append(f.PastAttempt(
            id=attempt_id, at=at, channel=st.channel, mode=attempt.effective_mode, allowed=True,
            party_id=st.party.id, quota_rule=rule, lease_state=state, connected=call.connected,
            product=st.debt.product, ended_at=at + timedelta(seconds=call.duration_s)))
    if on_progress is not None and len(ordered) % every:
        on_progress(len(ordered) % every)
    return out  # type: ignore[return-value]


def replay_in_process(world: ReplayWorld, calls: list[Call], errors: list[tuple[str, int, str]]) -> ReplayResult:
    """All calls as one partition, verdicts in file order."""
    return ReplayResult(verdicts=judge(world, calls), errors=list(errors))

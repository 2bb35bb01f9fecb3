"""判定 / Judging a partition of calls against the history as it actually happened (FORMAT.md, Meaning).

`judge(world, calls)` takes the calls of one partition (a set of debtors / parties), sorts them by start
(ties: file order) and judges each with the rulebook's own `evaluate`. No database, no leases: every call
joins the history with its real outcome, whatever its verdict.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Any

from collectguard.gate.repository import history_days
from collectguard.replay.model import Call, ReplayResult, Verdict
from collectguard.replay.world import ReplayWorld
from collectguard.rulebook import facts as f
from collectguard.rulebook.engine import evaluate
from collectguard.rulebook.usage import lease_consumed, quota_rule_for
from collectguard.rulebook.vocabulary import Channel, DebtStatus, LeaseState, Mode, PartyKind, Purpose

MIN_EFFECTIVE_S = 6


def match(world: ReplayWorld, call: Call) -> tuple[str | None, dict[str, Any]]:
    """Resolve a call to (unmatched reason or None, what it matched: tool, party, debt, collector)."""
    snap = world.snap
    collector = snap.collectors.get(call.collector)
    if collector is None:
        return "unknown-collector", {}
    tool_id: str | None = None
    if call.tool_number:
        tool_id = world.tools_by_number.get(call.tool_number)
        if tool_id is None and call.tool_number in snap.tools:
            tool_id = call.tool_number
        if tool_id is None:
            return "unknown-tool-number", {}
    parties = world.parties_by_number.get(call.party_number) or []
    parties = [p for p in parties if p in world.party_kind]
    if not parties:
        return "unknown-party-number", {}
    debtors_first = sorted(parties, key=lambda p: world.party_kind[p][0] is not PartyKind.DEBTOR)
    party_id = debtors_first[0]
    _, debtor_id, _ = world.party_kind[party_id]
    debt_id = call.debt
    if debt_id:
        debt = world.debt(debt_id)
        if debt is None:
            return "unknown-debt", {}
    else:
        insts = world.institution_of_collector(call.collector)
        open_debts = [d for d in world.debts_by_debtor.get(debtor_id, ())
                      if d.institution_id in insts and d.status == DebtStatus.OPEN.value]
        if not open_debts:
            return "no-open-debt", {}
        if len({d.id for d in open_debts}) > 1:
            return "several-open-debts", {}
        debt = world.debt(open_debts[0].id)
        assert debt is not None
    try:
        channel, mode = Channel(call.channel), Mode(call.mode)
        purpose = Purpose(call.purpose) if call.purpose else None
    except ValueError:
        return "bad-channel-mode-or-purpose", {}
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


def judge(world: ReplayWorld, calls: list[Call]) -> list[Verdict]:
    """Verdicts for the calls of one partition, in the order of `calls`; judged in start order (ties: file
    order), each against the earlier calls of the partition."""
    ordered = sorted(range(len(calls)), key=lambda i: (calls[i].start, calls[i].order))
    histories: dict[tuple[str, str], _History] = {}
    snap, profile = world.snap, world.profile
    out: list[Verdict | None] = [None] * len(calls)
    statics: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    matches: dict[tuple[Any, ...], tuple[str | None, dict[str, Any]]] = {}  # the same row fields match the same
    for i in ordered:
        call = calls[i]
        mkey = (call.collector, call.tool_number, call.party_number, call.extra.get("debt"), call.channel, call.mode,
                call.purpose)
        matched = matches.get(mkey)
        if matched is None:
            matched = matches[mkey] = match(world, call)
        reason, m = matched
        if reason is not None:
            out[i] = Verdict(call=call, judged=False, unmatched_reason=reason, collector=call.collector)
            continue
        debt: f.Debt = m["debt"]
        key = (call.collector, debt.id, m["party"])
        static = statics.get(key)
        if static is None:  # what does not change between calls: read once per (collector, debt, party)
            inst = debt.institution_id
            collector = snap.collector(call.collector, inst) or m["collector"]
            static = statics[key] = (
                inst, collector, world.party(m["party"], inst), world.limits.get(inst, m["debtor"]),
                world.agency_facts(collector, inst), tuple(world.rows.placements.get(debt.id, ())),
                world.rows.holds_for(inst, debt.id, m["debtor"]), world.agency_label(call.collector))
        inst, collector, party, limits, (agency, parent, root, agreements), placements, holds, label = static
        hist = histories.get((inst, m["debtor"]))
        if hist is None:
            hist = histories[(inst, m["debtor"])] = _History()
        at = call.start
        facts = f.Facts(
            at=at,
            attempt=f.Attempt(
                id=f"{call.file}:{call.line}", collector_id=call.collector, debt_id=debt.id, party_id=party.id,
                channel=m["channel"], mode=m["mode"], tool_id=m["tool"], template_id=call.template,
                purpose=m["purpose"], recording=call.recording),
            institution_id=inst,
            limits=limits,
            collector=collector,
            agency=agency, parent_agency=parent, root_agency=root, agreements=agreements,
            placements=placements,
            tool=snap.tools.get(m["tool"]) if m["tool"] else None,
            template=snap.templates.get(call.template) if call.template else None,
            debt=debt,
            party=party,
            history=hist.since(at - timedelta(days=history_days(limits))),
            holds=holds,
        )
        decision = evaluate(facts, profile)
        rules = tuple(dict.fromkeys([v.rule for v in decision.violations] + [e.rule for e in decision.errors]))
        zone = party.zone
        local = at.astimezone(zone)
        out[i] = Verdict(
            call=call, judged=True, rules=rules, agency=label, collector=call.collector,
            debtor_id=m["debtor"], debt_id=debt.id, local_day=local.date().isoformat(), local_hour=local.hour)
        # the call as it happened joins the history, whatever its verdict
        rule = quota_rule_for(m["channel"], m["mode"], party.kind)
        if rule is None:
            state = LeaseState.NONE
        elif lease_consumed(rule, connected=call.connected, duration_s=call.duration_s, meaningful=None,
                            effective=None, min_duration_s=MIN_EFFECTIVE_S):
            state = LeaseState.CONSUMED
        else:
            state = LeaseState.RELEASED
        hist.times.append(at)
        hist.past.append(f.PastAttempt(
            id=facts.attempt.id, at=at, channel=m["channel"], mode=facts.attempt.effective_mode, allowed=True,
            party_id=party.id, quota_rule=rule, lease_state=state, connected=call.connected, product=debt.product,
            ended_at=at + timedelta(seconds=call.duration_s)))
    return out  # type: ignore[return-value]


def replay_in_process(world: ReplayWorld, calls: list[Call], errors: list[tuple[str, int, str]]) -> ReplayResult:
    """All calls as one partition, verdicts in file order."""
    return ReplayResult(verdicts=judge(world, calls), errors=list(errors))

"""Deciding attempts and settling outcomes for a whole batch in one transaction.

A batch is what the group committer (gate/committer.py) drained from its queue: attempts and outcomes
from any number of concurrent callers. Its debtors are locked first, in id order (PostgreSQL row locks;
SQLite's BEGIN IMMEDIATE already serialises writers), then their rows are read with one query per table,
each item is judged in arrival order against what the batch has decided so far, and everything is written
with multi-row inserts and one ledger append. Either the whole batch commits or none of it does; an item
that fails on its own (unknown debt, reused id, …) gets its error and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from collectguard.db.store import Store
from collectguard.errors import CollectGuardError, Conflict, InvalidInput, NotFound
from collectguard.gate import daily
from collectguard.gate import schemas as g
from collectguard.gate.models import AttemptRow
from collectguard.gate.repository import (
    DebtorRows,
    LimitsCache,
    Past,
    build_facts,
    history_days,
    load_contacts,
    parties,
    unique,
)
from collectguard.gate.snapshot import RegistrySnapshot
from collectguard.ledger.service import Entry, append_many
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.rulebook import evaluate
from collectguard.rulebook.profile import Profile
from collectguard.rulebook.usage import lease_consumed, quota_rule_for
from collectguard.rulebook.vocabulary import Channel, LeaseState, Mode, PartyKind

MILLIS = Decimal("0.001")
Result = Any  # a DecisionOut / OutcomeOut, or the CollectGuardError that item raised


@dataclass
class _Writes:
    """What the batch will write, in order."""

    attempts: list[dict[str, Any]] = field(default_factory=list)
    settled: list[dict[str, Any]] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    ledger: list[Entry] = field(default_factory=list)


LOCK_DEBTORS = select(m.Debtor.id, m.Debtor.timezone, m.Debtor.status) \
    .where(m.Debtor.id.in_(bindparam("ids", expanding=True))).order_by(m.Debtor.id).with_for_update()
EXISTING = select(AttemptRow.id, AttemptRow.debtor_id, AttemptRow.request, AttemptRow.decision) \
    .where(AttemptRow.id.in_(bindparam("ids", expanding=True)))
OWNERS = select(AttemptRow.id, AttemptRow.debtor_id).where(AttemptRow.id.in_(bindparam("ids", expanding=True)))


def lock_debtors(store: Store, session: Session, debtor_ids: list[str]) -> dict[str, Any]:
    """Row locks on the debtors, in id order so that two batches never wait on each other in a cycle;
    returns their rows as read under the lock (on SQLite, BEGIN IMMEDIATE already serialised writers)."""
    if store.dialect != "postgresql" or not debtor_ids:
        return {}
    return {d.id: d for d in session.connection().execute(LOCK_DEBTORS, {"ids": debtor_ids})}


def run_batch(
    store: Store,
    session: Session,
    profile: Profile,
    snapshot: Callable[[], RegistrySnapshot],
    decides: Sequence[tuple[g.AttemptIn, datetime]],
    outcomes: Sequence[tuple[g.OutcomeIn, datetime]],
    algorithm: str,
) -> tuple[list[Result], list[Result]]:
    """Settle `outcomes`, then decide `decides`, in the caller's transaction. Returns one result per item.
    Outcomes need only their attempts: the registry snapshot and the debtors' other rows are read only
    when the batch decides something."""
    writes = _Writes()
    conn = session.connection()
    # Before the lock, only whose each item is: a party's debtor, an outcome's attempt's debtor (neither changes).
    found, debtors = parties(session, unique(a.party for a, _ in decides)) if decides else ({}, {})
    known = {r.id: r for r in conn.execute(OWNERS, {"ids": unique(o.attempt for o, _ in outcomes)})} \
        if outcomes else {}
    deciding = unique(found[a.party][1] for a, _ in decides if a.party in found)
    debtor_ids = unique(deciding + [known[o.attempt].debtor_id for o, _ in outcomes if o.attempt in known])
    # INVARIANT: every debtor is locked before anything about it is counted or judged, so two deciders can never
    # both see the last unit of a quota, and a refusal or an attempt id committed while this batch waited for
    # the lock is seen. Everything a rule or a retry depends on is read below this line (on SQLite the whole
    # transaction holds the write lock from BEGIN IMMEDIATE; on PostgreSQL the debtors' rows come from the lock).
    debtors.update(lock_debtors(store, session, debtor_ids))
    load_contacts(session, found)
    existing = {r.id: r for r in conn.execute(EXISTING, {"ids": unique(a.id for a, _ in decides)})} \
        if decides else {}

    snap = snapshot() if decides else RegistrySnapshot.empty()
    rows = DebtorRows.load(session, {d: debtors[d] for d in deciding}, unique(a.debt for a, _ in decides)) \
        if decides else DebtorRows()
    rows.load_refused(session, (found[a.party][2] for a, _ in decides if a.party in found and found[a.party][2]))
    limits = LimitsCache(profile, snap, rows)
    oldest = min((at for _, at in decides), default=None)
    since = oldest - timedelta(days=_max_history_days(limits, decides, rows, found)) if oldest else None
    rows.load_past(session, debtor_ids, since or max(at for _, at in outcomes), [o.attempt for o, _ in outcomes])
    settled = [_settle(profile, rows, outcome, at, known, writes) for outcome, at in outcomes]
    decided = [_decide(profile, snap, rows, limits, attempt, at, found, existing, writes) for attempt, at in decides]

    if writes.expired:
        session.execute(update(AttemptRow).where(AttemptRow.id.in_(writes.expired))
                        .values(lease_state=LeaseState.EXPIRED.value))
    if writes.settled:
        session.execute(update(AttemptRow), writes.settled)
    if writes.attempts:
        conn.execute(cast(Table, AttemptRow.__table__).insert(), writes.attempts)
    append_many(session, writes.ledger, algorithm=algorithm)
    # The daily figures, in the same transaction (after the ledger head's lock: no wait on them without it).
    daily.record_batch(session, writes.attempts, writes.settled, snap)
    return decided, settled


def _max_history_days(limits: LimitsCache, decides: Sequence[tuple[g.AttemptIn, datetime]], rows: DebtorRows,
                      found: dict[str, Any]) -> int:
    """How far back the batch must read: the longest window any of its items is judged on (the limits of
    the debt's institution and the party's debtor, as `build_facts` resolves them)."""
    days = 1
    for attempt, _ in decides:
        debt, party = rows.debts.get(attempt.debt), found.get(attempt.party)
        if debt is not None and party is not None:
            days = max(days, history_days(limits.get(debt.institution_id, party[1])))
    return days


def _decide(
    profile: Profile,
    snap: RegistrySnapshot,
    rows: DebtorRows,
    limits: LimitsCache,
    attempt: g.AttemptIn,
    at: datetime,
    found: dict[str, Any],
    existing: dict[str, Any],
    writes: _Writes,
) -> Result:
    try:
        party = found.get(attempt.party)
        if party is None:
            raise NotFound("party", attempt.party, field="party")
        request = attempt.model_dump(mode="json", exclude_none=True)
        if attempt.id in existing:
            return _replay(existing[attempt.id], attempt.id, request)
        debtor_id = party[1]
        past = rows.past[debtor_id]
        expiring = [p for p in past.values()
                    if p.lease_state == LeaseState.HELD.value and p.lease_expires_at is not None
                    and p.lease_expires_at <= at]
        facts = build_facts(attempt, at, snap, rows, limits, party)
        decision = evaluate(facts, profile)
    except CollectGuardError as exc:
        return exc
    # From here on nothing raises: the item's writes join the batch.
    ledger = writes.ledger
    for p in expiring:  # a lease whose outcome never came counts as consumed (fail safe): recorded as missing
        p.lease_state = LeaseState.EXPIRED.value
        writes.expired.append(p.id)
        ledger.append(expiry_entry(at, p.id, p.quota_rule, p.lease_expires_at, p.institution_id))
    decision_id = str(uuid.uuid4())
    expires = at + timedelta(seconds=facts.limits.lease_ttl_s) if decision.lease_rule else None
    out = g.DecisionOut.build(decision, decision_id=decision_id, attempt_id=attempt.id, lease_expires_at=expires)
    answer = out.model_dump(mode="json")
    assert facts.debt is not None and facts.party is not None
    lease_state = LeaseState.HELD if decision.lease_rule else LeaseState.NONE
    row = {
        "id": attempt.id, "decision_id": decision_id, "institution_id": facts.institution_id,
        "debt_id": facts.debt.id, "collector_id": attempt.collector, "party_id": attempt.party,
        "party_kind": facts.party.kind.value, "debtor_id": debtor_id, "channel": attempt.channel.value,
        "mode": (decision.mode or attempt.mode).value, "product": facts.debt.product, "at": at, "allowed": decision.allowed,
        "failing": list(decision.failing_rules), "quota_rule": decision.lease_rule,
        "lease_state": lease_state.value, "lease_expires_at": expires, "request": request, "decision": answer,
        "connected": None, "duration_s": None, "meaningful": None, "effective": None, "outcome_at": None,
        "ended_at": None, "against_deny": False,
    }
    writes.attempts.append(row)
    ledger.append(Entry(Tag.ATTEMPT_DECIDED, attempt.id, at, {"request": request, "decision": answer},
                        facts.institution_id))
    past[attempt.id] = Past(id=attempt.id, institution_id=facts.institution_id, at=at, channel=row["channel"],
                            mode=row["mode"], allowed=decision.allowed, party_id=attempt.party,
                            quota_rule=decision.lease_rule, lease_state=lease_state.value, lease_expires_at=expires,
                            connected=None, product=facts.debt.product)
    existing[attempt.id] = _Decided(request, answer, debtor_id)  # a duplicate later in the batch replays it
    return out


def expiry_entry(at: datetime, attempt_id: str, quota_rule: str | None, expired_at: datetime | None,
                 institution_id: str) -> Entry:
    """The ledger record of a lease whose outcome never came: it counts as consumed (fail safe)."""
    return Entry(Tag.LEASE_EXPIRED, attempt_id, at,
                 {"quota_rule": quota_rule, "expired_at": expired_at, "missing_outcome": True}, institution_id)


@dataclass(frozen=True)
class _Decided:
    request: dict[str, Any]
    decision: dict[str, Any]
    debtor_id: str


def _replay(row: Any, attempt_id: str, request: dict[str, Any]) -> Result:
    """A retry of an attempt already decided gets the first answer and never a second lease."""
    if row.request != request:
        return Conflict(
            f"尝试 {attempt_id} 已用不同内容提交过",
            f"attempt {attempt_id} was already submitted with different content",
            field="id",
            code="attempt-id-reused",
        )
    return g.DecisionOut.model_validate(row.decision)


def _settle(profile: Profile, rows: DebtorRows, outcome: g.OutcomeIn, at: datetime, known: dict[str, Any],
            writes: _Writes) -> Result:
    """Connected/effective consumes a lease, anything else releases it; a late outcome (after the lease
    expired) still settles it. An outcome for a denied attempt (the dialer went ahead anyway) counts like any
    other: connected/effective, it consumes the quota the attempt would have leased, and a connected one is
    flagged as made against the deny (RULES.md, Counting and concurrency)."""
    debtor_id = known[outcome.attempt].debtor_id if outcome.attempt in known else None
    row = rows.past.get(debtor_id, {}).get(outcome.attempt) if debtor_id else None
    if row is None:
        return NotFound("attempt", outcome.attempt, field="attempt")
    if at < row.at:
        return InvalidInput("结果时间早于尝试时间", "the outcome is earlier than its attempt", field="at")
    if outcome.ended_at is not None and (outcome.ended_at < row.at or outcome.ended_at > at):
        before = outcome.ended_at < row.at
        return InvalidInput(
            f"ended_at（{outcome.ended_at.isoformat()}）{'早于尝试时间' if before else '晚于现在'}",
            f"ended_at ({outcome.ended_at.isoformat()}) is {'before the attempt' if before else 'in the future'}",
            field="ended_at", code="ended-before-attempt" if before else "ended-in-future")
    if row.outcome_at is not None:  # set by every outcome, including one earlier in this batch
        if (row.connected, _seconds(row.duration_s), row.meaningful, row.effective, row.ended_at) == (
                outcome.connected, _seconds(outcome.duration_s), outcome.meaningful, outcome.effective,
                outcome.ended_at):
            return _first_outcome(row)  # a retry (a lost answer, a crash): the first answer, settled once
        return Conflict(
            f"尝试 {row.id} 的结果已登记", f"the outcome of attempt {row.id} is already recorded",
            field="attempt", code="outcome-already-recorded",
        )
    state = LeaseState(row.lease_state)
    late = state is LeaseState.EXPIRED or (
        state is LeaseState.HELD and row.lease_expires_at is not None and row.lease_expires_at <= at
    )
    consumed = False
    if not row.allowed and state is LeaseState.NONE:  # no lease was taken: the quota it would have leased
        row.quota_rule = quota_rule_for(Channel(row.channel), Mode(row.mode),
                                        PartyKind.DEBTOR if row.party_id == debtor_id else PartyKind.CONTACT)
    if row.quota_rule and state in (LeaseState.HELD, LeaseState.EXPIRED, LeaseState.NONE):
        consumed = lease_consumed(
            row.quota_rule,
            connected=outcome.connected,
            duration_s=float(outcome.duration_s) if outcome.duration_s is not None else None,
            meaningful=outcome.meaningful,
            effective=outcome.effective,
            min_duration_s=profile.effective_call_min_duration_s,
        )
        if row.allowed:
            row.lease_state = (LeaseState.CONSUMED if consumed else LeaseState.RELEASED).value
        elif consumed:  # a denied attempt held no lease: only what it consumed counts
            row.lease_state = LeaseState.CONSUMED.value
        else:
            row.quota_rule = None
    row.against_deny = not row.allowed and outcome.connected
    row.connected, row.duration_s, row.meaningful, row.effective, row.outcome_at, row.ended_at = (
        outcome.connected, outcome.duration_s, outcome.meaningful, outcome.effective, at, outcome.ended_at)
    writes.settled.append({
        "id": row.id, "lease_state": row.lease_state, "quota_rule": row.quota_rule, "connected": outcome.connected,
        "duration_s": outcome.duration_s, "meaningful": outcome.meaningful, "effective": outcome.effective,
        "outcome_at": at, "ended_at": outcome.ended_at, "against_deny": row.against_deny,
    })
    writes.ledger.append(Entry(
        Tag.ATTEMPT_OUTCOME, row.id, at,
        {**outcome.model_dump(mode="json", exclude_none=True), "lease_state": row.lease_state, "late": late,
         "attempt_allowed": row.allowed, "against_deny": row.against_deny},
        row.institution_id,
    ))
    return g.OutcomeOut(attempt_id=row.id, lease_state=row.lease_state, late=late, consumed=consumed,
                        against_deny=row.against_deny)


def _seconds(duration: Decimal | float | None) -> Decimal | None:
    """A duration as the attempts table stores it (Numeric(10, 3)): a retry compares equal to what was stored."""
    return None if duration is None else Decimal(str(duration)).quantize(MILLIS)


def _first_outcome(row: Past) -> g.OutcomeOut:
    """The answer the first report of an outcome got, from what it stored."""
    assert row.outcome_at is not None
    late = bool(row.quota_rule) and row.lease_expires_at is not None and row.lease_expires_at <= row.outcome_at
    return g.OutcomeOut(attempt_id=row.id, lease_state=row.lease_state, late=late,
                        consumed=row.lease_state == LeaseState.CONSUMED.value, against_deny=row.against_deny)

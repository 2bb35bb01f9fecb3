"""A history of past contact attempts for the demo world, so that the ledger, the attempts and the daily figures
the console shows are real.

`record_attempts` asks the REAL gate (`Gate.decide_many`, then the outcomes through the same writer) about a
realistic mix of attempts (`demo.attempts.labelled_attempts`: about 60% lawful, 40% the gate must deny) on each
weekday of the `days` days before the world's day, between 09:00 and 20:00 Beijing time, in time order. Most
allowed ones get an outcome (connected or not), a few are never reported (their leases expire, as missing
outcomes), and now and then a dialer went ahead although the gate denied it (a contact made against a deny).

`grow` makes a history of a million attempts quickly for the console's scale bench (bench/console_pages.py): it
copies the gate-made days to earlier weeks (same weekdays and hours) under new ids, writing the attempts, their
ledger records (`ledger.service.append_many`: a valid chain) and the daily figures through the gate's own
aggregation (`gate.daily.count_attempts`). Copies are the gate's answers moved in time, not decided again.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select

from collectguard.collectors.models import Collector
from collectguard.db.store import Store
from collectguard.demo.attempts import labelled_attempts
from collectguard.demo.organisations import SHANGHAI
from collectguard.errors import CollectGuardError
from collectguard.gate import daily
from collectguard.gate.batch import expiry_entry
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import AttemptIn, DecisionOut, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.service import Entry, append_many
from collectguard.ledger.tags import Tag
from collectguard.registry.repository import institution_zone
from collectguard.registry.schemas import World

PER_DAY = 1_000  # attempts per weekday (10,000 debtors: lawful ones never share a debtor within a day)
PREFIX = "h-"  # every history attempt's id starts with it
CHUNK = 256  # decisions handed to the gate at once (its writer's largest batch)
OUTCOME_SHARE = 0.88  # allowed attempts whose outcome is reported (the rest expire as missing outcomes)
CONNECTED_SHARE = 0.55
AGAINST_DENY_SHARE = 0.02  # denied attempts the dialer made anyway, and which connected


@dataclass(frozen=True)
class HistorySummary:
    """What `record_attempts` (or `grow`) recorded, and how long it took."""

    days: int
    attempts: int
    allowed: int
    denied: int
    outcomes: int
    connected: int
    against_deny: int
    expired: int
    seconds: float

    def line(self) -> str:
        return (f"{self.attempts} attempts on {self.days} weekdays ({self.allowed} allowed, {self.denied} denied), "
                f"{self.outcomes} outcomes ({self.connected} connected, {self.against_deny} against a deny), "
                f"{self.expired} leases expired without an outcome, in {self.seconds:.1f} s")


def weekdays_before(start: date, days: int) -> list[date]:
    """The weekdays among the `days` days before `start`, oldest first."""
    return [d for d in (start - timedelta(days=n) for n in range(days, 0, -1)) if d.weekday() < 5]


def _day_attempts(world: World, day: date, per_day: int, rng: random.Random) -> list[tuple[AttemptIn, datetime]]:
    """`per_day` attempts of one day, at random instants between 09:00 and 20:00 Beijing time, in time order."""
    made = labelled_attempts(world, per_day, seed=rng.randrange(1 << 30), start=day)
    opening = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).replace(hour=9)
    seconds = sorted(rng.sample(range(11 * 3600), per_day))
    return [(AttemptIn.model_validate({**attempt, "id": f"{PREFIX}{day:%Y%m%d}-{n:05d}"}),
             opening + timedelta(seconds=s))
            for n, ((_, attempt), s) in enumerate(zip(made, seconds, strict=True))]


def _outcome(rng: random.Random, attempt: AttemptIn, at: datetime,
             decision: DecisionOut) -> tuple[OutcomeIn, datetime] | None:
    """What the dialer reports (if anything): an allowed call most often, a denied one rarely (made anyway)."""
    if decision.allowed:
        if rng.random() > OUTCOME_SHARE:
            return None
        connected = rng.random() < CONNECTED_SHARE
    elif rng.random() < AGAINST_DENY_SHARE:
        connected = True
    else:
        return None
    duration = Decimal(rng.randint(80, 2400)) / 10 if connected else Decimal(0)
    ended = at + timedelta(seconds=30 + float(duration))
    return OutcomeIn(attempt=attempt.id, connected=connected, duration_s=duration), ended + timedelta(seconds=5)


def record_attempts(store: Store, world: World, start: date, days: int = 30, *, per_day: int = PER_DAY,
                    seed: int = 2026, algorithm: str = "sm3") -> HistorySummary:
    """Decide a realistic history of attempts on the weekdays of the `days` days before `start` through the
    real gate, with their outcomes; the gate keeps the ledger and the daily figures as it always does."""
    began = time.perf_counter()
    rng = random.Random(f"collectguard-demo:{seed}:history")
    gate = Gate(store, algorithm=algorithm)
    counts = dict.fromkeys(("attempts", "allowed", "denied", "outcomes", "connected", "against_deny"), 0)
    expired = 0
    weekdays = weekdays_before(start, days)
    try:
        for day in weekdays:
            work = _day_attempts(world, day, per_day, rng)
            for first in range(0, len(work), CHUNK):
                chunk = work[first:first + CHUNK]
                outcomes = []
                for (attempt, at), answer in zip(chunk, gate.decide_many(chunk), strict=True):
                    if isinstance(answer, CollectGuardError):
                        continue
                    counts["attempts"] += 1
                    counts["allowed" if answer.allowed else "denied"] += 1
                    reported = _outcome(rng, attempt, at, answer)
                    if reported is not None:
                        outcomes.append(reported)
                # the outcomes through the gate's writer, as Gate.record_outcome sends each one
                for (outcome, _), result in zip(outcomes, gate.committer.submit_many("outcome", outcomes),
                                                strict=True):
                    if not isinstance(result, BaseException):
                        counts["outcomes"] += 1
                        counts["connected"] += outcome.connected
                        counts["against_deny"] += result.against_deny
            # the server's sweeper marks the day's leases whose outcome never came, once they expired
            expired += len(gate.expire_leases(datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                                               tzinfo=SHANGHAI)))
    finally:
        gate.close()
    return HistorySummary(days=len(weekdays), expired=expired, seconds=round(time.perf_counter() - began, 1),
                          **counts)


# -- a history of a million attempts, fast (the console's scale bench) ------------------------------------------

class _Copied(NamedTuple):
    """An attempt row as `daily.count_attempts` reads it."""

    institution_id: str
    at: datetime
    org_id: str | None
    collector_id: str
    channel: str
    allowed: bool
    failing: list[str]
    connected: bool | None
    against_deny: bool
    outcome_at: datetime | None


TIMES = ("at", "lease_expires_at", "outcome_at", "ended_at")


def _shift_iso(value: str | None, delta: timedelta) -> str | None:
    if value is None:
        return None
    return (datetime.fromisoformat(value.replace("Z", "+00:00")) + delta).isoformat().replace("+00:00", "Z")


def _copy(row: dict[str, Any], suffix: str, delta: timedelta) -> dict[str, Any]:
    """The attempt `row` moved `delta` earlier in time under a new id (its request and answer follow)."""
    new_id, decision_id = f"{row['id']}{suffix}", str(uuid.uuid4())
    copied = {**row, "id": new_id, "decision_id": decision_id,
              **{k: row[k] - delta if row[k] is not None else None for k in TIMES}}
    decision = dict(row["decision"])
    decision.update(attempt_id=new_id, decision_id=decision_id, at=_shift_iso(decision.get("at"), -delta),
                    next_allowed_at=_shift_iso(decision.get("next_allowed_at"), -delta))
    if decision.get("lease"):
        decision["lease"] = {**decision["lease"], "expires_at": _shift_iso(decision["lease"]["expires_at"], -delta)}
    copied["decision"] = decision
    copied["request"] = {**row["request"], "id": new_id}
    return copied


def _entries(row: dict[str, Any]) -> Iterator[Entry]:
    """The ledger records the gate writes for such an attempt: decided, its lease expired, its outcome."""
    institution = row["institution_id"]
    yield Entry(Tag.ATTEMPT_DECIDED, row["id"], row["at"], {"request": row["request"], "decision": row["decision"]},
                institution)
    if row["lease_state"] == "expired" and row["outcome_at"] is None:
        yield expiry_entry(row["lease_expires_at"], row["id"], row["quota_rule"], row["lease_expires_at"], institution)
    if row["outcome_at"] is not None:
        payload: dict[str, Any] = {"attempt": row["id"], "connected": row["connected"], "lease_state": row["lease_state"],
                                   "late": False, "attempt_allowed": row["allowed"],
                                   "against_deny": row["against_deny"]}
        if row["duration_s"] is not None:
            payload["duration_s"] = float(row["duration_s"])
        yield Entry(Tag.ATTEMPT_OUTCOME, row["id"], row["outcome_at"], payload, institution)


def grow(store: Store, target: int, *, algorithm: str = "sm3", chunk: int = 5_000,
         log: Any = None) -> HistorySummary:
    """Copy the gate-made history (ids starting `h-`) to earlier weeks until there are at least `target`
    attempts: attempts, ledger records and daily figures, a transaction per chunk. Returns what was added."""
    began = time.perf_counter()
    columns = [c.name for c in cast(Table, AttemptRow.__table__).columns]
    with store.read() as session:
        total = int(session.execute(select(func.count()).select_from(AttemptRow)).scalar_one())
        base = [dict(r._mapping) for r in session.execute(
            select(*(getattr(AttemptRow, c) for c in columns)).where(AttemptRow.id.like(f"{PREFIX}%"))
            .order_by(AttemptRow.at, AttemptRow.id))]
        orgs: dict[str, str] = {c.id: c.org_id for c in session.execute(select(Collector.id, Collector.org_id))}
        zones = {i: institution_zone(session, i) for i in {r["institution_id"] for r in base}}
    if not base or total >= target:
        return HistorySummary(0, 0, 0, 0, 0, 0, 0, 0, round(time.perf_counter() - began, 1))
    first, last = base[0]["at"], base[-1]["at"]
    span = timedelta(weeks=(last - first).days // 7 + 1)  # whole weeks: the same weekdays and hours
    counts = dict.fromkeys(("attempts", "allowed", "denied", "outcomes", "connected", "against_deny", "expired"), 0)
    copies = 0
    table = cast(Table, AttemptRow.__table__)

    def zone_of(institution_id: str) -> ZoneInfo:
        return zones[institution_id]

    while total < target:
        copies += 1
        delta, suffix = span * copies, f".c{copies}"
        for start in range(0, len(base), chunk):
            rows = [_copy(r, suffix, delta) for r in base[start:start + chunk][:max(0, target - total)]]
            if not rows:
                break
            with store.transaction() as session:
                session.connection().execute(table.insert(), rows)
                append_many(session, [e for r in rows for e in _entries(r)], algorithm=algorithm)
                daily.write(session.connection(), daily.count_attempts(
                    (_Copied(r["institution_id"], r["at"], orgs.get(r["collector_id"]), r["collector_id"], r["channel"],
                             r["allowed"], r["failing"], r["connected"], r["against_deny"], r["outcome_at"])
                     for r in rows), zone_of))
            total += len(rows)
            for r in rows:
                counts["attempts"] += 1
                counts["allowed" if r["allowed"] else "denied"] += 1
                counts["outcomes"] += r["outcome_at"] is not None
                counts["connected"] += bool(r["connected"])
                counts["against_deny"] += r["against_deny"]
                counts["expired"] += r["lease_state"] == "expired" and r["outcome_at"] is None
        if log is not None:
            log(f"history: copy {copies} ({delta.days} days earlier), {total} attempts")
    return HistorySummary(days=len({r["at"].date() for r in base}) * copies, seconds=round(time.perf_counter() - began, 1), **counts)

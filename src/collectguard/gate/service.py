"""The gate service: the one public API that scenarios, HTTP and replay call to decide.

`decide` evaluates an attempt and, when it is allowed, takes the lease on its per-day quota in the same
transaction, serialised per debtor (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite): never
check-then-act. `record_outcome` settles leases; `expire_leases` marks the leases whose outcome never came.
Each call is one transaction and appends to the ledger. What changes what the gate decides (repayments,
refusals, statuses, trainings, templates, placements, holds) is its domains' business: their services, and
registry/events.py outside HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from collectguard.db.store import Store
from collectguard.errors import CollectGuardError, InvalidInput
from collectguard.gate import schemas as g
from collectguard.gate.batch import expiry_entry, lock_debtors, run_batch
from collectguard.gate.committer import GroupCommitter
from collectguard.gate.models import AttemptRow
from collectguard.gate.repository import unique
from collectguard.gate.snapshot import SnapshotCache
from collectguard.ledger.service import append_many
from collectguard.rulebook.profile import DEFAULT_PROFILE, Profile, load_profile
from collectguard.rulebook.vocabulary import LeaseState


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("时间必须带时区", "`at` must be timezone-aware", field="at")
    return at


class Gate:
    """Decide attempts, settle their leases, expire the leases whose outcome never came; close the writer."""

    def __init__(self, store: Store, *, algorithm: str = "sm3", profile: str = DEFAULT_PROFILE) -> None:
        self.store = store
        self.algorithm = algorithm
        self.profile: Profile = load_profile(profile)
        self.snapshots = SnapshotCache()
        self.committer = GroupCommitter(self._batch)

    # -- the gate --------------------------------------------------------------------------------
    def decide(self, attempt: g.AttemptIn, at: datetime) -> g.DecisionOut:
        """Evaluate an attempt and, if allowed, lease its per-day quota — atomically. Retrying an attempt id
        returns the first answer and never takes a second lease."""
        return self.committer.submit("decide", attempt, _aware(at))  # type: ignore[no-any-return]

    def decide_many(self, attempts: list[tuple[g.AttemptIn, datetime]]) -> list[g.DecisionOut | CollectGuardError]:
        """Decide many attempts (a dialer's batch): each gets its decision or its own error, in order."""
        return self.committer.submit_many("decide", [(a, _aware(at)) for a, at in attempts])

    def record_outcome(self, outcome: g.OutcomeIn, at: datetime) -> g.OutcomeOut:
        """Settle a lease: connected/effective consumes it, anything else releases it. A late outcome
        (after the lease expired) still settles it."""
        return self.committer.submit("outcome", outcome, _aware(at))  # type: ignore[no-any-return]

    def _batch(self, decides: list[tuple[Any, datetime]], outcomes: list[tuple[Any, datetime]]) -> tuple[list[Any], list[Any]]:
        """One batch in one transaction. A unique violation means another process (the several workers of
        `serve` on PostgreSQL) inserted the same attempt id after this batch looked for it, on another debtor's
        lock: its row is committed by now, so the batch runs once more in a fresh transaction, which finds it
        and answers as for any retry (the first answer, or attempt-id-reused) instead of failing."""
        for last in (False, True):
            try:
                with self.store.transaction() as session:
                    return run_batch(self.store, session, self.profile, lambda: self.snapshots.get(session), decides,
                                     outcomes, self.algorithm)
            except IntegrityError:
                if last:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the writer thread (it is a daemon thread: closing is optional)."""
        self.committer.close()

    def expire_leases(self, at: datetime, *, limit: int | None = None) -> list[str]:
        """Mark leases whose outcome has not arrived by their expiry: they count as consumed (fail safe)
        and each is recorded as a missing outcome (`gate:lease:expired`, with its institution). `limit`: at
        most this many, the oldest first, in one transaction (the server's sweeper works in batches)."""
        at = _aware(at)
        with self.store.transaction() as session:
            due = session.execute(select(AttemptRow.id, AttemptRow.debtor_id).where(
                AttemptRow.lease_state == LeaseState.HELD, AttemptRow.lease_expires_at <= at)
                .order_by(AttemptRow.lease_expires_at, AttemptRow.id).limit(limit)).all()
            lock_debtors(self.store, session, unique(debtor for _, debtor in due))
            expired = sorted(session.execute(
                update(AttemptRow)
                .where(AttemptRow.id.in_([i for i, _ in due]), AttemptRow.lease_state == LeaseState.HELD)
                .values(lease_state=LeaseState.EXPIRED.value)
                .returning(AttemptRow.id, AttemptRow.quota_rule, AttemptRow.lease_expires_at, AttemptRow.institution_id)
            ).all())
            append_many(session, [expiry_entry(at, *row) for row in expired], algorithm=self.algorithm)
            return [row[0] for row in expired]

"""Waiting, in a test, until other transactions wait on a lock (PostgreSQL), so that a race is set up on purpose."""

from __future__ import annotations

import time

from sqlalchemy import text

from collectguard.db.store import Store

WAIT_S = 20.0


def waiting_on_locks(store: Store) -> int:
    """How many sessions of this database wait on a lock now (PostgreSQL only)."""
    with store.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())


def until_waiting(store: Store, n: int) -> None:
    """Return once `n` transactions wait on a lock. SQLite has nothing to observe (they wait in BEGIN
    IMMEDIATE): give them a moment to get there."""
    if store.dialect != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + WAIT_S
    while waiting_on_locks(store) < n:
        assert time.monotonic() < deadline, f"fewer than {n} transactions came to wait on a lock"
        time.sleep(0.02)

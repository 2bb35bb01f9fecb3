"""SQLite durability (issue 10, item 6): an acknowledged decision survives a power loss.

In WAL mode `synchronous=NORMAL` syncs the log only at checkpoints, so the last commits before a power
loss (an allowed attempt and its lease, already answered) can roll back. `FULL` syncs the log at every
commit, before the gate answers. A process crash (`kill -9`, tests/load) loses nothing under either; a
power loss cannot be simulated here, so the tests check the setting every connection runs with.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def _pragmas(engine) -> tuple[str, int]:
    with engine.connect() as conn:
        return (conn.execute(text("PRAGMA journal_mode")).scalar_one(),
                conn.execute(text("PRAGMA synchronous")).scalar_one())


def test_every_sqlite_connection_syncs_the_log_at_each_commit(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cg.db'}"
    upgrade(url)
    store = Store(url)
    try:
        assert _pragmas(store.engine) == ("wal", FULL)  # the writer: decisions, leases, the ledger
        assert _pragmas(store.read_engine) == ("wal", FULL)  # reads may checkpoint the log too
        with store.transaction() as session:  # a pooled connection, after a transaction, keeps it
            session.execute(text("SELECT 1"))
        assert _pragmas(store.engine) == ("wal", FULL)
    finally:
        store.dispose()


def test_an_in_memory_database_has_nothing_to_sync_but_is_set_the_same():
    store = Store("sqlite://")
    try:
        assert _pragmas(store.engine) == ("memory", FULL)
    finally:
        store.dispose()

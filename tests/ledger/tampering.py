"""What an attacker with write access to the database does to the ledger: drop the append-only guard with one
statement, then edit rows, recompute hashes and move the head."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from collectguard.db.store import Store
from collectguard.ledger.chain import canonical, digest
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import Entry, append_many
from tests.factories import at

RECORDS = LedgerRecord.__table__
HEAD = LedgerHead.__table__


def fill(store: Store, n: int = 12, *, first: int = 0, algorithm: str = "sm3") -> int:
    """Append `n` outcome records through the ledger's own API; returns the head's sequence number."""
    start = at("2026-05-20 09:00")
    entries = [Entry("gate:attempt:outcome", f"a{i}", start + timedelta(minutes=i),
                     {"connected": False, "duration_s": 0, "debt": "loan1"}, "bank")
               for i in range(first, first + n)]
    with store.transaction() as s:
        return append_many(s, entries, algorithm=algorithm)


def guards_off(conn: Any, dialect: str) -> None:
    if dialect == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_records_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_records_no_delete")
    else:
        conn.exec_driver_sql("ALTER TABLE ledger_records DISABLE TRIGGER ledger_records_append_only")


def guards_on(conn: Any, dialect: str) -> None:
    """Put the PostgreSQL guard back (covering the tracks; the test database is reused by the next test).
    A SQLite test has its own database file."""
    if dialect != "sqlite":
        conn.exec_driver_sql("ALTER TABLE ledger_records ENABLE TRIGGER ledger_records_append_only")


def edit(store: Store, action: Callable[[Any], None]) -> None:
    with store.engine.begin() as conn:
        guards_off(conn, store.dialect)
        action(conn)
        guards_on(conn, store.dialect)


def rewrite(store: Store, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Alter record `seq`'s payload, recompute its hash and every later one, and move the head to the new end:
    the hash chain alone still verifies."""

    def action(conn: Any) -> None:
        rows = conn.execute(select(RECORDS).where(RECORDS.c.seq >= seq).order_by(RECORDS.c.seq)).mappings().all()
        prev = rows[0]["prev_hash"]
        for row in rows:
            body = row["body"]
            if row["seq"] == seq:
                doc = json.loads(body)
                change(doc["payload"])
                body = canonical(doc)
            new_hash = digest(json.loads(body)["alg"], prev, body)
            conn.execute(update(RECORDS).where(RECORDS.c.seq == row["seq"])
                         .values(body=body, prev_hash=prev, hash=new_hash))
            prev = new_hash
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(hash=prev))

    edit(store, action)


def truncate(store: Store, keep: int) -> None:
    """Delete every record after `keep` and move the head back to it: the hash chain alone still verifies."""

    def action(conn: Any) -> None:
        last = conn.execute(select(RECORDS.c.hash).where(RECORDS.c.seq == keep)).scalar_one()
        conn.execute(delete(RECORDS).where(RECORDS.c.seq > keep))
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=keep, hash=last))

    edit(store, action)


def set_column(store: Store, seq: int, **values: Any) -> None:
    edit(store, lambda conn: conn.execute(update(RECORDS).where(RECORDS.c.seq == seq).values(**values)))

"""Append to the ledger and prove it untampered."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quoted  # JSON string, as canonical() writes it
from typing import Any, cast

from sqlalchemy import Connection, String, Table, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from collectguard.errors import Unavailable
from collectguard.ledger.chain import GENESIS, canonical, digest
from collectguard.ledger.models import LedgerHead, LedgerRecord

HEAD_ID = 1


def _head(session: Session, *, lock: bool) -> LedgerHead:
    held = session.info.get("ledger_head")
    if lock and held is not None and held in session:
        return held  # already locked by this transaction: the lock lasts until it ends
    stmt = select(LedgerHead).where(LedgerHead.id == HEAD_ID)
    if lock:
        stmt = stmt.with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        # Made by migration 0012, never here: two first appenders would find no row to lock, both insert it,
        # and one would fail. Without it the database is not migrated, or the ledger was truncated.
        raise Unavailable(
            "账本头记录缺失：请运行 collectguard db upgrade（迁移 0012 会创建它）；已有记录的账本缺少它说明被截断",
            "the ledger head row is missing: run `collectguard db upgrade` (migration 0012 creates it); a ledger "
            "with records that lost it was truncated", code="ledger-head-missing")
    if lock:
        session.info["ledger_head"] = head
    return head


def seed_head(connection: Connection) -> None:
    """Put back the empty ledger's head, as migration 0012 makes it, after every table was emptied
    (TRUNCATE of a PostgreSQL database reused for tests or scenarios)."""
    connection.execute(insert(LedgerHead).values(id=HEAD_ID, seq=0, hash=GENESIS))


@dataclass(frozen=True)
class Entry:
    """One record to append: a `source:subject:action` kind, its subject, time, payload and tenant."""

    kind: str
    subject: str
    at: datetime
    payload: dict[str, Any]
    institution_id: str | None = None


def append(
    session: Session,
    *,
    kind: str,
    subject: str,
    at: datetime,
    payload: dict[str, Any],
    institution_id: str | None = None,
    algorithm: str = "sm3",
) -> LedgerRecord:
    """Append one record in the caller's transaction (see `append_many`)."""
    record = LedgerRecord(**_chain(session, [Entry(kind, subject, at, payload, institution_id)], algorithm)[0])
    session.add(record)
    return record


def append_many(session: Session, entries: list[Entry], *, algorithm: str = "sm3") -> int:
    """Append records in order in the caller's transaction with one multi-row insert; returns the last
    sequence number (the head's, unchanged, when `entries` is empty)."""
    if not entries:
        return int(_head(session, lock=True).seq)
    records = _chain(session, entries, algorithm)
    session.execute(cast(Table, LedgerRecord.__table__).insert(), records)
    return int(records[-1]["seq"])


def _chain(session: Session, entries: list[Entry], algorithm: str) -> list[dict[str, Any]]:
    """Number and hash `entries` after the head, and move the head past them.

    # INVARIANT: appenders serialise on the head row (locked until the transaction ends), so sequence
    # numbers have no gaps and each record carries the hash of the one before.
    """
    head = _head(session, lock=True)
    seq, prev = head.seq, head.hash
    recorded_at = datetime.now(UTC)
    records = []
    for e in entries:
        seq += 1
        body = canonical({"seq": seq, "kind": e.kind, "subject": e.subject, "institution": e.institution_id,
                          "at": e.at, "recorded": recorded_at, "alg": algorithm, "payload": e.payload})
        hashed = digest(algorithm, prev, body)
        records.append({"seq": seq, "kind": e.kind, "subject": e.subject, "institution_id": e.institution_id,
                        "at": e.at, "recorded_at": recorded_at, "body": body, "prev_hash": prev, "hash": hashed})
        prev = hashed
    head.seq, head.hash = seq, prev
    session.info["last_ledger_seq"] = seq
    return records


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
        }


PARALLEL_FROM = 200_000  # records: below this, starting worker processes costs more than it saves


def verify(session: Session, batch: int = 5000, *, workers: int | None = None) -> Verification:
    """Walk the chain from genesis; report the first record that is altered, missing, reordered or
    inserted, or a head that does not match the last record (truncation).

    Each record must hash, with the previous record's hash, to its own hash, and carry the previous
    record's hash as `prev_hash`; both checks are local, so a large ledger is split into ranges of
    sequence numbers verified in parallel worker processes (`workers`, default: one per CPU from
    PARALLEL_FROM records on a file or server database), and the ranges are then linked end to end."""
    last = session.execute(select(func.max(LedgerRecord.seq))).scalar_one_or_none() or 0
    url = session.get_bind().engine.url
    if workers is None:
        workers = (os.cpu_count() or 1) if last >= PARALLEL_FROM else 1
    if workers > 1 and last >= 2 * workers and url.database not in (None, "", ":memory:"):
        bounds = [last * i // workers for i in range(workers + 1)]
        # Fork is quick; a process with threads (a server) may hold a lock at the moment of the fork: spawn.
        ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            parts = list(pool.map(_verify_range_at, [url.render_as_string(hide_password=False)] * workers,
                                  [b + 1 for b in bounds[:-1]], bounds[1:], [batch] * workers))
    else:
        parts = [verify_range(session.connection(), 1, None, batch)]
    prev, count = GENESIS, 0
    for part in parts:
        if part.count and part.first_prev != prev:
            return Verification(False, count, prev, part.first_seq,
                                "prev_hash does not match the previous record (reordered, inserted or deleted)")
        if part.broken_seq is not None:
            return Verification(False, count + part.count, part.last_hash if part.count else prev, part.broken_seq,
                                part.reason)
        if part.count:
            prev = part.last_hash
        count += part.count
    head = session.execute(select(LedgerHead).where(LedgerHead.id == HEAD_ID)).scalar_one_or_none()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        return Verification(
            False, count, prev, count + 1 if head_seq > count else head_seq,
            f"ledger head says {head_seq} records ending {head_hash[:12]}…, the chain has {count} ending {prev[:12]}… (truncated)",
        )
    return Verification(True, count, prev)


@dataclass(frozen=True)
class RangeCheck:
    """One range of sequence numbers, checked on its own: each record's framing and hash, the links
    inside the range, and no gap. `first_prev` is what its first record says came before it."""

    first_seq: int
    count: int
    first_prev: str
    last_hash: str
    broken_seq: int | None = None
    reason: str | None = None


def verify_range(conn: Any, first: int, last: int | None, batch: int = 5000) -> RangeCheck:
    at_col, recorded_col = _time_text(conn, LedgerRecord.at), _time_text(conn, LedgerRecord.recorded_at)
    stmt = select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.institution_id, at_col,
                  recorded_col, LedgerRecord.body, LedgerRecord.prev_hash, LedgerRecord.hash).where(LedgerRecord.seq >= first)
    if last is not None:
        stmt = stmt.where(LedgerRecord.seq <= last)
    expected, count, first_prev, prev = first, 0, "", ""
    result = conn.execution_options(yield_per=batch).execute(stmt.order_by(LedgerRecord.seq))

    def broken(seq: int, reason: str) -> RangeCheck:
        return RangeCheck(first, count, first_prev, prev, seq, reason)

    for chunk in result.partitions():
        for seq, kind, subject, institution, at, recorded, body, prev_hash, stored_hash in chunk:
            if seq != expected:
                return broken(expected, f"record {expected} is missing (next is {seq})")
            if count == 0:
                first_prev = prev = prev_hash
            elif prev_hash != prev:
                return broken(seq, "prev_hash does not match the previous record (reordered, inserted or deleted)")
            framed = framing(body, seq, kind, subject, institution)
            if framed is None:
                return broken(seq, "indexed columns disagree with the hashed body (moved or altered)")
            alg, body_at, body_recorded = framed
            if not _same_time(at, body_at):
                return broken(seq, "the indexed at column disagrees with the hashed body (altered)")
            if body_recorded is not None and not _same_time(recorded, body_recorded):
                return broken(seq, "the recorded_at column disagrees with the hashed body (altered)")
            try:
                recomputed = digest(alg, prev, body)
            except ValueError as exc:
                return broken(seq, str(exc))
            if recomputed != stored_hash:
                return broken(seq, "hash does not match the body (altered)")
            prev = stored_hash
            count += 1
            expected += 1
    if last is not None and count < last - first + 1:
        return broken(expected, f"record {expected} is missing")
    return RangeCheck(first, count, first_prev, prev)


def _verify_range_at(url: str, first: int, last: int, batch: int) -> RangeCheck:
    """A worker process: its own read-only connection to the database."""
    from collectguard.db.store import make_engine

    engine = make_engine(url, immediate=False)
    try:
        with engine.connect() as conn:
            return verify_range(conn, first, last, batch)
    finally:
        engine.dispose()


_RECORDED = '},"recorded":"'


def framing(body: str, seq: int, kind: str, subject: str, institution: str | None) -> tuple[str, str, str | None] | None:
    """The hash algorithm and the `at` and `recorded` times a canonical body names, if the body's framing
    agrees with the indexed columns; None otherwise. Read without parsing the body::

        {"alg":…,"at":"…","institution":…,"kind":…,"payload":{…},"recorded":"…","seq":…,"subject":…}

    Records written before `recorded` was hashed end `"payload":{…},"seq":…`: their `recorded` is None (their
    recorded_at column is bound to nothing). The caller compares the times with the columns."""
    if not body.startswith('{"alg":"'):
        return None
    end_alg = body.find('"', 8)
    if end_alg < 0 or not body.startswith('","at":"', end_alg):
        return None
    end_at = body.find('"', end_alg + 8)
    inst = "null" if institution is None else _quoted(institution)
    if end_at < 0 or not body.startswith(f',"institution":{inst},"kind":{_quoted(kind)},"payload":{{', end_at + 1):
        return None
    tail = f',"seq":{seq},"subject":{_quoted(subject)}}}'
    if not body.endswith(tail):
        return None
    end = len(body) - len(tail)
    if body[end - 1] == "}":
        return body[8:end_alg], body[end_alg + 8:end_at], None
    start = body.rfind(_RECORDED, end_at, end)
    if start < 0 or body[end - 1] != '"':
        return None
    return body[8:end_alg], body[end_alg + 8:end_at], body[start + len(_RECORDED):end - 1]


def _time_text(conn: Any, column: Any) -> Any:
    """A time column as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: on SQLite the stored text itself (which is what its
    filters compare, so a time rewritten as other text that parses to the same instant is found too), on
    PostgreSQL formatted by the server (cheaper than a datetime per row)."""
    if conn.dialect.name == "sqlite":
        return type_coerce(column, String)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS.US")


def _same_time(column: Any, text: str) -> bool:
    """A time column's text (`_time_text`) against the body's UTC time: equal when the body's is exactly what
    canonical() writes for it ("YYYY-MM-DDTHH:MM:SS[.ffffff]Z", the fraction left out when zero)."""
    if type(column) is not str or len(column) != 26 or column[10] != " ":
        return False
    if column.endswith(".000000"):
        return text == f"{column[:10]}T{column[11:19]}Z"
    return text == f"{column[:10]}T{column[11:]}Z"

"""Append to the ledger and prove it untampered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
        head = LedgerHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    if lock:
        session.info["ledger_head"] = head
    return head


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
    session.execute(LedgerRecord.__table__.insert(), records)
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
                          "at": e.at, "alg": algorithm, "payload": e.payload})
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


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain from genesis; report the first record that is altered, missing, reordered or
    inserted, or a head that does not match the last record (truncation)."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    rows = session.execute(
        select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.body,
               LedgerRecord.prev_hash, LedgerRecord.hash).order_by(LedgerRecord.seq).execution_options(yield_per=batch)
    )
    for seq, kind, subject, body, prev_hash, stored_hash in rows:
        if seq != expected_seq:
            return Verification(False, count, prev, expected_seq, f"record {expected_seq} is missing (next is {seq})")
        if prev_hash != prev:
            return Verification(False, count, prev, seq, "prev_hash does not match the previous record (reordered, inserted or deleted)")
        try:
            parsed = json.loads(body)
        except ValueError:
            return Verification(False, count, prev, seq, "body is not valid JSON")
        if parsed.get("seq") != seq or parsed.get("kind") != kind or parsed.get("subject") != subject:
            return Verification(False, count, prev, seq, "indexed columns disagree with the hashed body (moved or altered)")
        try:
            recomputed = digest(parsed.get("alg", "sm3"), prev, body)
        except ValueError as exc:
            return Verification(False, count, prev, seq, str(exc))
        if recomputed != stored_hash:
            return Verification(False, count, prev, seq, "hash does not match the body (altered)")
        prev = stored_hash
        count += 1
        expected_seq += 1
    head = session.execute(select(LedgerHead).where(LedgerHead.id == HEAD_ID)).scalar_one_or_none()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != prev:
        return Verification(
            False, count, prev, count + 1 if head_seq > count else head_seq,
            f"ledger head says {head_seq} records ending {head_hash[:12]}…, the chain has {count} ending {prev[:12]}… (truncated)",
        )
    return Verification(True, count, prev)

"""账本 What the ledger page reads: the head, the institution's records (newest first, by sequence number — the
primary key, so a page costs the same on millions of records), counts by kind kept up to date incrementally, the
export (JSON Lines, as GET /v1/ledger writes them) and the verification run in a background thread
(`ledger.service.verify`, the same function as GET /v1/ledger/verify and `collectguard ledger verify`).

Records are the viewer's institution's, as GET /v1/ledger shows them; the verification and the head are the whole
chain's (a chain has one head). Bodies hold ids, codes and amounts, not personal data in plain (registry/personal
keeps that encrypted outside the ledger); what the page shows of them still goes through `privacy.redact`, so a
phone number, an ID number or an e-mail address that a free-text note carried is masked on screen."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from collectguard.console.reads.planner import unindexed
from collectguard.ledger.chain import GENESIS
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import HEAD_ID, Verification, verify
from collectguard.ledger.tags import Tag
from collectguard.privacy.redact import redact
from collectguard.registry.unit import Units

EXPORT_MAX = 1_000_000  # records in one export
EXPORT_BATCH = 5_000
SOURCES = ("registry:", "gate:", "oversight:", "monitoring:", "public:", "users:", "privacy:", "qa:", "auth:",
           "notice:", "hold:", "collector:", "template:", "debt:", "debtor:", "contact:", "agency:")


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    algorithm: str | None  # of the last record (each record names its own); None for an empty ledger
    at: datetime | None  # when the last record was recorded


def head(session: Session) -> Head:
    row = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == HEAD_ID)).first()
    seq, hashed = (int(row[0]), str(row[1])) if row else (0, GENESIS)
    last = session.execute(select(func.substr(LedgerRecord.body, 1, 24), LedgerRecord.recorded_at)
                           .where(LedgerRecord.seq == seq)).first() if seq else None
    algorithm = None
    if last is not None and last[0].startswith('{"alg":"'):
        algorithm = last[0][8:].split('"', 1)[0]
    return Head(seq, hashed, algorithm, last[1] if last else None)


# -- records -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    seq: int
    kind: str
    subject: str
    at: datetime
    recorded_at: datetime
    hash: str
    prev_hash: str
    body: str  # pretty, redacted


@dataclass(frozen=True)
class Records:
    rows: list[Row]
    older: int | None  # `before` for the next page of older records, None when none
    newer: int | None  # `after` for the page of newer records, None when this is the newest


def _kind_prefix(stmt: Select[Any], prefix: str) -> Select[Any]:
    """Kinds starting with `prefix`, as a range on the kind's index (every kind is ASCII) and the exact test."""
    return stmt.where(and_(LedgerRecord.kind >= prefix, LedgerRecord.kind < prefix + "\x7f",
                           LedgerRecord.kind.startswith(prefix, autoescape=True)))


def _scoped(stmt: Select[Any], institution: str, kind: str, subject: str) -> Select[Any]:
    # never the institution's index, which holds nearly every record (reads/planner.py)
    stmt = stmt.where(unindexed(LedgerRecord.institution_id) == institution)
    if kind:
        stmt = _kind_prefix(stmt, kind)
    if subject:
        stmt = stmt.where(LedgerRecord.subject == subject)
    return stmt


def kinds_for(prefix: str) -> list[str] | None:
    """The ledger's kinds (its vocabulary, ledger/tags.py) starting with `prefix`; None when none does (an older
    or unknown kind: the page falls back to the prefix as a range)."""
    found = sorted(t.value for t in Tag if t.value.startswith(prefix))
    return found or None


def _page(session: Session, stmt: Select[Any], institution: str, kind: str, subject: str, *, above: int | None,
          below: int | None, limit: int) -> list[Any]:
    """Up to `limit` of the institution's records strictly between `above` and `below`, nearest `below` first
    (newest first), or nearest `above` first when only `above` is given. With a kind prefix and no subject, one
    query per kind of the prefix (each walks the kind's index in seq order — SQLite's index on kind holds the seq
    as its rowid) merged here, instead of one range that reads every record of a common prefix to sort them."""
    ascending = above is not None and below is None
    kinds = kinds_for(kind) if kind and not subject else None
    parts = [(k, "") for k in kinds] if kinds else [(kind, subject)]
    got: list[Any] = []
    for k, subj in parts:
        q = _scoped(stmt, institution, "", subj).where(LedgerRecord.kind == k) if kinds else \
            _scoped(stmt, institution, k, subj)
        if above is not None:
            q = q.where(LedgerRecord.seq > above)
        if below is not None:
            q = q.where(LedgerRecord.seq < below)
        order = LedgerRecord.seq.asc() if ascending else LedgerRecord.seq.desc()
        got.extend(session.execute(q.order_by(order).limit(limit)))
    got.sort(key=lambda r: r[0], reverse=not ascending)
    return got[:limit]


def shown(body: str) -> str:
    """A body as the page shows it: indented, every string passed through the log redaction."""
    try:
        doc = json.loads(body)
    except ValueError:
        return redact(body)
    return redact(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True))


def records(session: Session, institution: str, *, kind: str = "", subject: str = "", before: int | None = None,
            after: int | None = None, size: int = 25) -> Records:
    """A page of the institution's records, newest first: those below `before`, or the `size` just above `after`
    (the page before, going back towards the newest), or the newest."""
    cols = select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.at,
                  LedgerRecord.recorded_at, LedgerRecord.hash, LedgerRecord.prev_hash, LedgerRecord.body)
    seqs = select(LedgerRecord.seq)
    if after is not None:
        got = _page(session, cols, institution, kind, subject, above=after, below=None, limit=size + 1)
        more_newer = len(got) > size
        got = list(reversed(got[:size]))
        more_older = bool(got) and bool(_page(session, seqs, institution, kind, subject, above=None,
                                              below=got[-1][0], limit=1))
    else:
        got = _page(session, cols, institution, kind, subject, above=None, below=before, limit=size + 1)
        more_older = len(got) > size
        got = got[:size]
        more_newer = before is not None and bool(_page(session, seqs, institution, kind, subject, above=before - 1,
                                                       below=None, limit=1))
    rows = [Row(seq, k, s, at, rec, h, p, shown(body)) for seq, k, s, at, rec, h, p, body in got]
    return Records(rows, rows[-1].seq if rows and more_older else None, rows[0].seq if rows and more_newer else None)


# -- counts by kind, kept incrementally -------------------------------------------------------------------------
COUNT_WINDOW = 50_000  # sequence numbers counted when a process first counts: the newest records, not millions


@dataclass
class KindCounts:
    """Records per kind of each institution among the newest COUNT_WINDOW sequence numbers when first asked, then
    kept up to date with what was appended since (a range on the primary key each time): a page never counts
    millions of records (measured on 2,000,000: 24 s for all of them on SQLite on a busy 2-core machine)."""

    window: int = COUNT_WINDOW
    _seen: dict[str, tuple[int, int, Counter[str]]] = field(default_factory=dict)  # institution → (from, upto, counts)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, session: Session, institution: str) -> tuple[int, int, list[tuple[str, int]]]:
        """(the first and last sequence numbers counted, [(kind, records)] most first)."""
        with self._lock:
            last = session.execute(select(func.max(LedgerRecord.seq))).scalar() or 0
            first, upto, counts = self._seen.get(institution, (max(1, last - self.window + 1), 0, Counter()))
            if last < upto:  # the ledger was emptied (a test database reused): count again
                first, upto, counts = max(1, last - self.window + 1), 0, Counter()
            if last > upto:
                counts = counts.copy()
                for kind, n in session.execute(
                        select(LedgerRecord.kind, func.count()).where(
                            unindexed(LedgerRecord.institution_id) == institution,
                            LedgerRecord.seq >= max(first, upto + 1), LedgerRecord.seq <= last)
                        .group_by(LedgerRecord.kind)):
                    counts[kind] += n
            self._seen[institution] = (first, last, counts)
            return first, last, counts.most_common()


# -- export --------------------------------------------------------------------------------------------------
def export_lines(units: Units, institution: str, first: int, last: int, *, kind: str = "",
                 subject: str = "") -> Iterator[bytes]:
    """The institution's records with `first` <= seq <= `last` as JSON Lines with the fields GET /v1/ledger writes
    (seq, kind, subject, at, hash, prev_hash, body — the body as the JSON object that was hashed, written as
    stored rather than parsed and written again), read in batches of EXPORT_BATCH, each in its own read unit (no
    cursor held across the response's writes)."""
    after = first - 1
    cols = select(LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.at, LedgerRecord.hash,
                  LedgerRecord.prev_hash, LedgerRecord.body)
    text = json.JSONEncoder(ensure_ascii=False).encode
    while after < last:
        with units.read() as session:
            got = session.execute(_scoped(cols, institution, kind, subject)
                                  .where(LedgerRecord.seq > after, LedgerRecord.seq <= last)
                                  .order_by(LedgerRecord.seq).limit(EXPORT_BATCH)).all()
        if not got:
            return
        lines = [f'{{"seq": {seq}, "kind": {text(k)}, "subject": {text(subj)}, "at": {text(at.isoformat())}, '
                 f'"hash": {text(h)}, "prev_hash": {text(p)}, "body": '
                 f'{body if body.startswith("{") and body.endswith("}") else text(body)}}}\n'
                 for seq, k, subj, at, h, p, body in got]
        yield "".join(lines).encode()
        after = got[-1][0]


# -- verification in the background -----------------------------------------------------------------------------
@dataclass
class Job:
    id: str
    by: str
    started_at: datetime
    total: int  # the head's sequence number when it started
    institution: str = ""  # whose person started it: the ledger record of its result is the institution's
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # how long it took, once finished
    result: Verification | None = None
    error: str | None = None

    @property
    def state(self) -> str:
        if self.error is not None:
            return "failed"
        if self.result is None:
            return "running"
        return "ok" if self.result.ok else "broken"

    @property
    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.monotonic() - self.started


@dataclass
class Verifier:
    """One verification at a time per process: starting while one runs answers the running one. Jobs are kept
    (the last `keep`) so each viewer's page can poll the one it started and show the latest result."""

    keep: int = 20
    jobs: dict[str, Job] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def latest(self) -> Job | None:
        with self._lock:
            return next(reversed(self.jobs.values()), None)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self.jobs.get(job_id)

    def start(self, units: Units, by: str, at: datetime, institution: str, clock: Callable[[], datetime]) -> Job:
        with self._lock:
            running = next((j for j in self.jobs.values() if j.state == "running"), None)
            if running is not None:
                return running
            with units.read() as session:
                total = head(session).seq
            job = Job(uuid.uuid4().hex[:16], by, at, total, institution)
            self.jobs[job.id] = job
            while len(self.jobs) > self.keep:
                self.jobs.pop(next(iter(self.jobs)))
        threading.Thread(target=self._run, args=(units, job, clock), name=f"ledger-verify-{job.id}",
                         daemon=True).start()
        return job

    @staticmethod
    def _run(units: Units, job: Job, clock: Callable[[], datetime]) -> None:
        try:
            with units.read() as session:
                result = verify(session)
            seconds = time.monotonic() - job.started
            with units.write(clock()) as unit:  # who verified, when, and what it found: in the chain itself
                unit.record(Tag.LEDGER_VERIFIED, f"verification:{job.id}",
                            {"by": job.by, "started_at": job.started_at, "head_seq": job.total,
                             "seconds": round(seconds, 3), **result.as_dict()}, job.institution or None)
        except Exception as exc:  # the database gone: said on the page, never a crashed thread
            job.error = type(exc).__name__
        else:
            job.result = result
        job.seconds = time.monotonic() - job.started


def recorded_job(session: Session, job_id: str) -> Job | None:
    """A verification another process of the server ran, from its ledger record (None: not finished yet)."""
    row = session.execute(select(LedgerRecord.body).where(LedgerRecord.kind == Tag.LEDGER_VERIFIED.value,
                                                          LedgerRecord.subject == f"verification:{job_id}")).scalar()
    if row is None:
        return None
    body = json.loads(row)
    data = body.get("payload", body) if isinstance(body, dict) else {}
    job = Job(job_id, str(data.get("by", "")), datetime.fromisoformat(str(data["started_at"])),
              int(data.get("head_seq", 0)), seconds=float(data.get("seconds", 0.0)))
    job.result = Verification(ok=bool(data["ok"]), count=int(data["count"]), head_hash=str(data["head_hash"]),
                              broken_seq=data.get("broken_seq"), reason=data.get("reason"))
    return job

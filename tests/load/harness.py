"""Load and fault harness: a world, servers in subprocesses, 64 dialers over HTTP, and the audit after.

Everything here is plain code the tests in this folder call; nothing is a pytest fixture.

* `prepare_world` loads the bench world (bench/gate_decide.py) through the registry at the simulated start
  and issues an integration key (the dialers) and an auditor key (ledger verification).
* `Server` runs the real app on an accelerated clock (tests/load/simserver.py) in a process of its own
  on a free port, with its output in a log file whose tail goes into the failure report.
* `Driver` is a fleet of asyncio dialers. Each asks the gate (`POST /v1/attempts`) and, when allowed,
  reports whether the call connected (`POST /v1/attempts/{id}/outcome`), every request with its own
  `Idempotency-Key`. Like a real dialer, it retries the same request with the same key after a
  transport error (server gone), a 503 `db-unavailable` or a 409 `idempotency-in-progress`; anything
  else that is not a 200 is recorded as unexpected and fails the test.
* `audit` reads the attempts table and the ledger and checks caps, acknowledged answers, leases and the
  chain; `replay` re-sends answered requests and demands the first answer.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import random
import signal
import socket
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")
SIM_START = datetime(2026, 5, 20, 8, 0, tzinfo=SH)  # the start of the allowed hours (art. 9: 08:00–22:00)
VOICE_CAP_RULE = "art15-voice-cap"
VOICE_CAP = 3
COUNTING = {"held", "consumed", "expired"}
EXPECTED_DENIALS = {VOICE_CAP_RULE, "art9-quiet-hours"}  # anything else means the world or the gate is wrong


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the world -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keys:
    integration: str
    auditor: str


def prepare_world(url: str, debtors: int, start: datetime = SIM_START) -> Keys:
    """Migrate, load `debtors` debtors (bench world: even debts placed with agency agA and worked by its
    human collector c1, odd ones by the bank's AI agent bot1) and issue the keys."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from bench.gate_decide import build_world

    from collectguard.auth.roles import Role
    from collectguard.auth.service import issue
    from collectguard.db.migrate import upgrade
    from collectguard.db.store import Store
    from collectguard.registry.service import Registry

    upgrade(url)
    store = Store(url)
    try:
        build_world(store, debtors, start)
        # The idempotency middleware authenticates on the wall clock, the routes on the simulated one.
        issued_at = min(start, datetime.now(SH)) - timedelta(hours=1)
        with store.transaction() as session:
            registry = Registry(session, at=issued_at)
            integration = issue(registry, role=Role.INTEGRATION, institution_id="bank", label="load").token
            auditor = issue(registry, role=Role.AUDITOR, institution_id="bank", label="load-audit").token
    finally:
        store.dispose()
    return Keys(integration, auditor)


def copy_sqlite(src: Path, dst: Path) -> str:
    """Copy a closed SQLite file (no -wal left) and return its URL."""
    dst.write_bytes(src.read_bytes())
    return f"sqlite:///{dst}"


# -- the server ----------------------------------------------------------------------------------------
@dataclass
class SimTime:
    """The simulated clock shared by the servers (through their environment) and the test."""

    start: datetime = SIM_START
    speed: float = 60.0
    real_epoch: float = field(default_factory=time.time)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.real_epoch) * self.speed)

    def env(self) -> dict[str, str]:
        return {"SIM_START": self.start.isoformat(), "SIM_REAL_EPOCH": repr(self.real_epoch),
                "SIM_SPEED": repr(self.speed)}


_FORKSERVER: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """Servers are forked from one process per test run that imported the app (and uvicorn) already:
    a start or a restart then takes about a second instead of several."""
    global _FORKSERVER
    if _FORKSERVER is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tests.load.simserver", "collectguard.api.app", "uvicorn"])
        _FORKSERVER = ctx
    return _FORKSERVER


class Server:
    """One server process (`tests.load.simserver.serve`); `start` again after `kill9` or `stop` continues
    the same database and simulated timeline."""

    def __init__(self, name: str, db_url: str, sim: SimTime, log_dir: Path, *, extra_env: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.name = name
        self.db_url = db_url
        self.sim = sim
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.extra_env = dict(extra_env or {})
        self.proc: multiprocessing.process.BaseProcess | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> None:
        from tests.load.simserver import serve

        env = {**os.environ, **self.sim.env(), **self.extra_env, "COLLECTGUARD_DB": self.db_url}
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} on port {self.port} at {time.strftime('%H:%M:%S')} =====\n".encode())
        self.proc = _forkserver().Process(target=serve, args=(self.port, env, str(self.log_path)), daemon=True,
                                          name=f"cg-load-{self.name}")
        self.proc.start()
        deadline = time.monotonic() + timeout
        while True:
            if not self.proc.is_alive():
                raise RuntimeError(f"server {self.name} exited with {self.proc.exitcode} on start:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {self.name}: no /healthz within {timeout:g} s:\n{self.tail()}")
            time.sleep(0.05)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive()

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.pid is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.join(10)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== SIGKILL at {time.strftime('%H:%M:%S')} =====\n".encode())

    def stop(self) -> None:
        if self.proc is None or not self.proc.is_alive():
            return
        self.proc.terminate()  # SIGTERM: uvicorn shuts down gracefully
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(10)

    def tail(self, chars: int = 6000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError as exc:
            return f"(no log: {exc})"
        return data[-chars:].decode("utf-8", "replace")


# -- the dialers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    id: str
    debtor: int
    connected: bool

    def attempt(self) -> dict[str, Any]:
        i = self.debtor
        return {"id": self.id, "collector": "c1" if i % 2 == 0 else "bot1", "debt": f"l{i}", "party": f"d{i}",
                "channel": "voice", "mode": "notification", "tool": "tel", "template": "t-voice"}

    def outcome(self) -> dict[str, Any]:
        return {"connected": self.connected, "duration_s": 42 if self.connected else 0}


@dataclass(frozen=True)
class Workload:
    """`pairs` attempts (None: until the simulated clock reaches `until`, or the driver is stopped) over
    `debtors` debtors; a share of them concentrated on a few hot debtors so that the daily voice cap is
    really reached."""

    clients: int = 64
    debtors: int = 1000
    pairs: int | None = 400
    hot_debtors: int = 12
    hot_share: float = 0.4
    connect_p: float = 0.7
    until: datetime | None = None
    seed: int = 2026

    def plan(self, tag: str) -> Iterator[Pair]:
        rng = random.Random(self.seed)
        k = 0
        while self.pairs is None or k < self.pairs:
            hot = rng.random() < self.hot_share
            i = rng.randrange(self.hot_debtors) if hot else rng.randrange(self.debtors)
            yield Pair(f"{tag}-{k}", i, rng.random() < self.connect_p)
            k += 1


@dataclass
class Answer:
    status: int
    body: Any
    replayed: bool


def _as_answered(read: Any) -> Any:
    """The decision part of GET /v1/attempts/{id}: the read adds where the lease and the outcome stand now."""
    return {k: v for k, v in read.items() if k not in ("lease_state", "outcome")} if isinstance(read, dict) else read


class Driver:
    """The dialer fleet and everything it saw."""

    RETRY_DEADLINE_S = 120.0  # a request still failing after this long is given up (and fails the test)
    MAX_BACKOFF_S = 1.0  # exponential backoff between retries, with jitter, up to this

    def __init__(self, base: str, token: str, *, timeout_s: float = 30.0) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timeout_s = timeout_s
        self.client: httpx.AsyncClient | None = None
        # What the dialers saw
        self.sent: dict[str, Pair] = {}
        self.decisions: dict[str, dict[str, Any]] = {}  # attempt id → the first 200 answer
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.bodies: dict[str, bytes] = {}  # idempotency key → request body
        self.paths: dict[str, str] = {}  # idempotency key → path
        self.unanswered: set[str] = set()  # keys that met a transport error at least once
        self.retried_503: set[str] = set()
        self.status: Counter[str] = Counter()
        self.unexpected: list[str] = []
        self.hangs: list[str] = []
        self.gave_up: list[str] = []
        self.mismatches: list[str] = []
        self.unavailable_at: list[float] = []  # monotonic times of 503 db-unavailable answers
        self.transport_at: list[float] = []
        self.ok_at: list[float] = []
        self.latencies: list[float] = []  # seconds per answered POST
        self.acked = 0  # pairs finished (decision, and outcome when allowed)
        self.in_flight = 0  # pairs under way
        self.requests_in_flight = 0
        self.open = asyncio.Event()  # cleared by pause(): no new request goes out
        self.open.set()
        self.stopped = False
        self.started_at = 0.0
        self.finished_at = 0.0

    # -- one request, retried like a dialer would ------------------------------------------------------
    async def post(self, path: str, key: str, body: bytes) -> Answer | None:
        assert self.client is not None
        self.bodies[key] = body
        self.paths[key] = path
        deadline = time.monotonic() + self.RETRY_DEADLINE_S
        delay = 0.05
        while True:
            r = await self._send(path, key, body)
            if r is not None:
                code = _code(r)
                self.status[f"{r.status_code}:{code}" if code else str(r.status_code)] += 1
                if r.status_code == 200:
                    self.ok_at.append(time.monotonic())
                    return Answer(200, r.json(), r.headers.get("Idempotent-Replayed") == "true")
                if r.status_code == 503 and code == "db-unavailable":
                    self.unavailable_at.append(time.monotonic())
                    self.retried_503.add(key)
                elif not (r.status_code == 409 and code == "idempotency-in-progress"):
                    self.unexpected.append(f"{key} → {r.status_code} {r.headers.get('content-type')}: {r.text[:400]}")
                    return Answer(r.status_code, _json(r), r.headers.get("Idempotent-Replayed") == "true")
            if time.monotonic() > deadline:
                self.gave_up.append(f"{key}: still failing after {self.RETRY_DEADLINE_S:g} s")
                return None
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.MAX_BACKOFF_S)

    async def _send(self, path: str, key: str, body: bytes) -> httpx.Response | None:
        """One try; None after a transport error (recorded: the answer, if any, was lost)."""
        assert self.client is not None
        await self.open.wait()
        self.requests_in_flight += 1
        t0 = time.monotonic()
        try:
            r = await self.client.post(path, content=body, headers={**self.headers, "Idempotency-Key": key})
            self.latencies.append(time.monotonic() - t0)
            return r
        except httpx.TimeoutException as exc:
            self.status[f"timeout:{type(exc).__name__}"] += 1
            self.hangs.append(f"{key}: no answer within {self.timeout_s:g} s ({type(exc).__name__})")
        except httpx.TransportError as exc:
            self.status[f"transport:{type(exc).__name__}"] += 1
        finally:
            self.requests_in_flight -= 1
        self.unanswered.add(key)
        self.transport_at.append(time.monotonic())
        return None

    async def get(self, path: str) -> Answer | None:
        assert self.client is not None
        deadline = time.monotonic() + self.RETRY_DEADLINE_S
        while True:
            await self.open.wait()
            try:
                r = await self.client.get(path, headers=self.headers)
            except httpx.TransportError as exc:
                self.status[f"transport:{type(exc).__name__}"] += 1
            else:
                code = _code(r)
                self.status[f"GET {r.status_code}:{code}" if code else f"GET {r.status_code}"] += 1
                if r.status_code == 200:
                    return Answer(200, r.json(), False)
                if not (r.status_code == 503 and code == "db-unavailable"):
                    self.unexpected.append(f"GET {path} → {r.status_code}: {r.text[:400]}")
                    return Answer(r.status_code, _json(r), False)
                self.unavailable_at.append(time.monotonic())
            if time.monotonic() > deadline:
                self.gave_up.append(f"GET {path}: still failing after {self.RETRY_DEADLINE_S:g} s")
                return None
            await asyncio.sleep(0.1 + random.random() * 0.2)

    # -- one pair ----------------------------------------------------------------------------------------
    async def pair(self, p: Pair, read_back: bool) -> None:
        self.sent[p.id] = p
        answer = await self.post("/v1/attempts", f"a-{p.id}", json.dumps(p.attempt()).encode())
        if answer is None or answer.status != 200:
            return
        self._first("decision", self.decisions, p.id, answer.body)
        if read_back:  # a dialer looking its decision up again: reads must keep working
            again = await self.get(f"/v1/attempts/{p.id}")
            if again is not None and again.status == 200 and _as_answered(again.body) != self.decisions[p.id]:
                self.mismatches.append(f"GET /v1/attempts/{p.id} differs from the answer: {again.body} != {self.decisions[p.id]}")
        if answer.body["allowed"]:
            out = await self.post(f"/v1/attempts/{p.id}/outcome", f"o-{p.id}", json.dumps(p.outcome()).encode())
            if out is None or out.status != 200:
                return
            self._first("outcome", self.outcomes, p.id, out.body)
        self.acked += 1

    def _first(self, what: str, book: dict[str, dict[str, Any]], attempt_id: str, body: dict[str, Any]) -> None:
        if attempt_id in book and book[attempt_id] != body:
            self.mismatches.append(f"{what} for {attempt_id} changed: first {book[attempt_id]}, then {body}")
        book.setdefault(attempt_id, body)

    # -- the fleet ----------------------------------------------------------------------------------------
    async def __aenter__(self) -> Driver:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=128)
        self.client = httpx.AsyncClient(base_url=self.base, limits=limits, timeout=httpx.Timeout(self.timeout_s))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def run(self, workload: Workload, tag: str, *, clock: Callable[[], datetime] | None = None,
                  read_share: float = 0.05) -> None:
        """`workload.clients` dialers take pairs from one plan until it is exhausted (or the simulated
        clock passes `workload.until`, or `stop()` is called)."""
        plan = workload.plan(tag)
        rng = random.Random(workload.seed + 1)
        self.started_at = time.monotonic()

        async def dialer() -> None:
            while not self.stopped:
                if workload.until is not None and clock is not None and clock() >= workload.until:
                    return
                p = next(plan, None)
                if p is None:
                    return
                self.in_flight += 1
                try:
                    await self.pair(p, rng.random() < read_share)
                finally:
                    self.in_flight -= 1

        try:
            await asyncio.gather(*(dialer() for _ in range(workload.clients)))
        finally:
            self.finished_at = time.monotonic()

    def stop(self) -> None:
        self.stopped = True

    async def pause(self, timeout: float = 120.0) -> None:
        """Hold new requests back and wait until none is in flight."""
        self.open.clear()
        deadline = time.monotonic() + timeout
        while self.requests_in_flight:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.requests_in_flight} requests still in flight after {timeout:g} s")
            await asyncio.sleep(0.02)

    def resume(self) -> None:
        self.open.set()

    async def read_back(self, n: int, *, may_be_unavailable: bool = False) -> list[str]:
        """GET a few decided attempts once each: 200 and the answer the dialer got (or, where allowed,
        a clear 503 db-unavailable); never a 500 or another answer."""
        assert self.client is not None
        problems = []
        for attempt_id in sorted(self.decisions)[:n]:
            try:
                r = await self.client.get(f"/v1/attempts/{attempt_id}", headers=self.headers)
            except httpx.TransportError as exc:
                problems.append(f"GET /v1/attempts/{attempt_id}: no answer ({type(exc).__name__}: {exc})")
                continue
            self.status[f"read-back {r.status_code}"] += 1
            if r.status_code == 503 and may_be_unavailable and _code(r) == "db-unavailable":
                continue
            if r.status_code != 200 or _as_answered(r.json()) != self.decisions[attempt_id]:
                problems.append(f"GET /v1/attempts/{attempt_id} → {r.status_code}: {r.text[:300]}")
        return problems

    async def finish_after(self, n: int, timeout: float = 180.0) -> None:
        """Let `n` more pairs finish, then stop taking new ones (those under way still finish)."""
        await self.wait_acked(self.acked + n, timeout)
        self.stop()

    async def wait_acked(self, n: int, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while self.acked < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.acked} of {n} pairs acknowledged in {timeout:g} s: {self.summary()}")
            await asyncio.sleep(0.02)

    async def wait_unavailable(self, n: int, since: float, timeout: float) -> int:
        """Wait until `n` answers 503 db-unavailable arrived after `since`; return how many did."""
        deadline = time.monotonic() + timeout
        while True:
            seen = sum(1 for t in self.unavailable_at if t >= since)
            if seen >= n or time.monotonic() > deadline:
                return seen
            await asyncio.sleep(0.02)

    async def replay(self, keys: list[str], concurrency: int = 16) -> list[str]:
        """Re-send requests already answered with their Idempotency-Key: each must get the first answer
        (the same status and body, marked replayed). Returns the differences."""
        problems: list[str] = []
        sem = asyncio.Semaphore(concurrency)

        async def one(key: str) -> None:
            attempt_id = key[2:]
            first = self.decisions.get(attempt_id) if key.startswith("a-") else self.outcomes.get(attempt_id)
            if first is None:
                return
            async with sem:
                answer = await self.post(self.paths[key], key, self.bodies[key])
            if answer is None or answer.status != 200 or answer.body != first:
                got = None if answer is None else (answer.status, answer.body)
                problems.append(f"retry of {key} with the same Idempotency-Key: first answer {first}, now {got}")
            elif not answer.replayed:
                problems.append(f"retry of {key} with the same Idempotency-Key was not marked Idempotent-Replayed")

        await asyncio.gather(*(one(k) for k in keys))
        return problems

    async def resend_attempts(self, attempt_ids: list[str], concurrency: int = 16) -> list[str]:
        """Ask again for attempts already decided, under a new Idempotency-Key: the gate itself must answer
        with the first decision (never a second decision or lease)."""
        problems: list[str] = []
        sem = asyncio.Semaphore(concurrency)

        async def one(attempt_id: str) -> None:
            async with sem:
                answer = await self.post("/v1/attempts", f"again-{attempt_id}",
                                         json.dumps(self.sent[attempt_id].attempt()).encode())
            if answer is None or answer.status != 200 or answer.body != self.decisions[attempt_id]:
                got = None if answer is None else (answer.status, answer.body)
                problems.append(f"attempt {attempt_id} asked again: first {self.decisions[attempt_id]}, now {got}")

        await asyncio.gather(*(one(a) for a in attempt_ids))
        return problems

    def summary(self) -> dict[str, Any]:
        elapsed = (self.finished_at or time.monotonic()) - self.started_at if self.started_at else 0.0
        allowed = sum(1 for d in self.decisions.values() if d["allowed"])
        return {"pairs_sent": len(self.sent), "acked": self.acked, "decisions": len(self.decisions),
                "allowed": allowed, "outcomes": len(self.outcomes), "elapsed_s": round(elapsed, 1),
                "pairs_per_s": round(self.acked / elapsed, 1) if elapsed else None, **self._latency(),
                "status": dict(self.status), "unexpected": self.unexpected[:10], "hangs": self.hangs[:10],
                "gave_up": self.gave_up[:10], "mismatches": self.mismatches[:10]}

    def _latency(self) -> dict[str, float]:
        if not self.latencies:
            return {}
        ordered = sorted(self.latencies)
        at = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000)  # noqa: E731
        return {"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000)}

    def assert_clean(self) -> None:
        """No 500, no unexpected status, no hang, nothing given up, no answer that changed."""
        problems = {"unexpected answers": self.unexpected, "hangs (timeouts)": self.hangs,
                    "given up": self.gave_up, "answers that changed": self.mismatches}
        bad = {k: v[:10] for k, v in problems.items() if v}
        assert not bad, f"dialers saw problems: {json.dumps(bad, indent=1, ensure_ascii=False)}\nsummary: {self.summary()}"


def _code(r: httpx.Response) -> str | None:
    body = _json(r)
    return body.get("code") if isinstance(body, dict) else None


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


# -- the audit -----------------------------------------------------------------------------------------
@dataclass
class Audit:
    attempts: int
    decided_records: int
    outcome_records: int
    ledger_count: int
    allowed: int
    connected: int
    capped_days: int  # debtor-days on which the cap was reached
    cap_denials: int
    max_per_day: int


def audit(url: str, driver: Driver, *, require_cap_reached: bool = True) -> Audit:
    """Read the database behind the server and check, against what the dialers saw:

    * the chain verifies;
    * every attempt row has exactly one `gate:attempt:decided` record with its decision, and every such
      record its row (no partial writes); likewise for outcomes;
    * every decision and outcome a dialer received (200) is there, identical;
    * leases: an allowed attempt holds exactly one lease on the voice cap, settled as its outcome said;
      a denied one holds none;
    * no debtor over the cap on any local day: counting leases (held, consumed, expired) ≤ 3, allowed and
      connected calls ≤ 3 — in the table and in what the dialers were told;
    * denials are only for the cap (or quiet hours).
    """
    from sqlalchemy import select

    from collectguard.db.store import Store
    from collectguard.gate.models import AttemptRow
    from collectguard.ledger.models import LedgerRecord
    from collectguard.ledger.service import verify

    store = Store(url)
    try:
        with store.read() as session:
            check = verify(session)
            rows = {r.id: r for r in session.execute(select(AttemptRow)).scalars()}
            records = session.execute(
                select(LedgerRecord.kind, LedgerRecord.subject, LedgerRecord.body)
                .where(LedgerRecord.kind.in_(["gate:attempt:decided", "gate:attempt:outcome"]))
            ).all()
    finally:
        store.dispose()
    assert check.ok, f"the ledger does not verify: {check.as_dict()}"

    decided: dict[str, list[dict[str, Any]]] = defaultdict(list)
    settled: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, subject, body in records:
        payload = json.loads(body)["payload"]
        (decided if kind == "gate:attempt:decided" else settled)[subject].append(payload)

    problems: list[str] = []
    for attempt_id, row in rows.items():
        recs = decided.get(attempt_id, [])
        if len(recs) != 1:
            problems.append(f"attempt {attempt_id} has {len(recs)} decided records (want 1)")
        elif recs[0]["decision"]["decision_id"] != row.decision_id or recs[0]["decision"] != row.decision:
            problems.append(f"attempt {attempt_id}: its ledger record carries another decision")
        outs = settled.get(attempt_id, [])
        if len(outs) != (1 if row.outcome_at is not None else 0):
            problems.append(f"attempt {attempt_id} (outcome_at {row.outcome_at}) has {len(outs)} outcome records")
        if row.allowed:
            if row.quota_rule != VOICE_CAP_RULE or row.lease_state == "none":
                problems.append(f"allowed attempt {attempt_id} holds no voice-cap lease ({row.quota_rule}, {row.lease_state})")
            if row.outcome_at is not None and row.lease_state != ("consumed" if row.connected else "released"):
                problems.append(f"attempt {attempt_id}: connected={row.connected} but lease {row.lease_state}")
        elif row.lease_state != "none":
            problems.append(f"denied attempt {attempt_id} holds a lease ({row.lease_state})")
        unexpected = set(row.failing) - EXPECTED_DENIALS
        if unexpected:
            problems.append(f"attempt {attempt_id} denied for {sorted(unexpected)}: {row.decision.get('violations')}")
    for attempt_id in set(decided) - set(rows):
        problems.append(f"decided record for {attempt_id} without its attempt row (partial write)")
    for attempt_id in set(settled) - set(rows):
        problems.append(f"outcome record for {attempt_id} without its attempt row (partial write)")

    # What the dialers were told is what was kept.
    for attempt_id, answer in driver.decisions.items():
        row = rows.get(attempt_id)
        if row is None:
            problems.append(f"acknowledged decision {answer['decision_id']} for {attempt_id} is lost")
        elif row.decision != answer:
            problems.append(f"acknowledged decision for {attempt_id} differs from the stored one")
    for attempt_id, answer in driver.outcomes.items():
        row = rows.get(attempt_id)
        if row is None or row.outcome_at is None:
            problems.append(f"acknowledged outcome for {attempt_id} is lost")
        elif row.lease_state != answer["lease_state"] or row.connected != driver.sent[attempt_id].connected:
            problems.append(f"acknowledged outcome for {attempt_id} ({answer}) differs from the row "
                            f"({row.lease_state}, connected={row.connected})")

    # Caps per debtor and local day.
    counting: Counter[tuple[str, str]] = Counter()
    connected: Counter[tuple[str, str]] = Counter()
    told: Counter[tuple[str, str]] = Counter()
    cap_denials = 0
    for row in rows.values():
        day = datetime.fromisoformat(row.decision["at"]).astimezone(SH).date().isoformat()
        key = (row.debtor_id, day)
        if row.quota_rule == VOICE_CAP_RULE and row.lease_state in COUNTING:
            counting[key] += 1
        if row.allowed and row.connected:
            connected[key] += 1
        cap_denials += VOICE_CAP_RULE in row.failing
    for attempt_id, answer in driver.decisions.items():
        if answer["allowed"] and attempt_id in driver.outcomes and driver.sent[attempt_id].connected:
            day = datetime.fromisoformat(answer["at"]).astimezone(SH).date().isoformat()
            told[(f"d{driver.sent[attempt_id].debtor}", day)] += 1
    for name, counts in (("counting leases", counting), ("allowed connected calls", connected),
                         ("connected calls the dialers were allowed", told)):
        over = {f"{d}@{day}": n for (d, day), n in counts.items() if n > VOICE_CAP}
        if over:
            problems.append(f"{name} over the daily cap of {VOICE_CAP}: {dict(list(over.items())[:10])}")

    assert not problems, f"{len(problems)} problems, first ones:\n  " + "\n  ".join(problems[:25])
    result = Audit(
        attempts=len(rows), decided_records=sum(map(len, decided.values())),
        outcome_records=sum(map(len, settled.values())), ledger_count=check.count,
        allowed=sum(1 for r in rows.values() if r.allowed),
        connected=sum(1 for r in rows.values() if r.allowed and r.connected),
        capped_days=sum(1 for n in counting.values() if n >= VOICE_CAP), cap_denials=cap_denials,
        max_per_day=max(counting.values(), default=0),
    )
    if require_cap_reached:
        assert result.capped_days and result.cap_denials, f"the load never reached the voice cap: {result}"
    return result


def verify_over_http(base: str, auditor: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/v1/ledger/verify", headers={"Authorization": f"Bearer {auditor}"}, timeout=120)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["ok"], body
    return body


def all_of(**checks: Callable[[], object]) -> dict[str, object]:
    """Run every check even when an earlier one fails, and fail once with all the messages (a crash test
    that fails on retries should still say whether the audit holds)."""
    results: dict[str, object] = {}
    failures: list[str] = []
    for name, check in checks.items():
        try:
            results[name] = check()
        except AssertionError as exc:
            failures.append(f"[{name}] {exc}")
    assert not failures, "\n\n".join(failures)
    return results

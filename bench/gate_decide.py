"""In-process gate decisions per second, beside a plain-SQL baseline measured in the same run.

    python -m bench.gate_decide [--debtors N] [--decisions N] [--db URL] [--json]

The gate is driven by 64 concurrent callers (as the HTTP server's threads drive it); its group committer
decides whatever has queued up in one transaction. Baseline: plain SQL doing the same kind of reads (the
debtors, their debts, their recent attempts) and writes (the attempt with its lease, one ledger-like row)
in transactions of the same size as the gate's mean batch. The ratio says how much the rulebook, the
facts, the JSON and the hashing cost over the bare I/O. Lone decisions (one caller, a batch of one each)
are measured too, beside plain SQL one decision per transaction.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.privacy.keys import Keyring
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 5, 20, 9, 0, tzinfo=SH)


def build_world(store: Store, debtors: int, at: datetime = START) -> None:
    """Load the bench world through the registry, its dates around `at` (default: 2026-05-20 09:00)."""
    d = at.astimezone(SH).date()
    year_from, year_to, trained = d - timedelta(days=139), d + timedelta(days=225), d - timedelta(days=135)
    placed_from, placed_to = d - timedelta(days=19), d + timedelta(days=41)
    world = s.World.model_validate(
        {
            "institutions": [{"id": "bank"}],
            "agencies": [{"id": "agA", "listed_by": ["bank"]}],
            "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": year_from, "to": year_to}],
            "collectors": [
                {"id": "bot1", "org": "bank", "kind": "ai_agent", "approved": True},
                {"id": "c1", "org": "agA", "kind": "human", "pre_job_exam": trained, "pledge_signed": True,
                 "last_training": trained},
            ],
            "tools": [
                {"id": "tel", "institution": "bank", "type": "phone", "official": True},
                {"id": "sms", "institution": "bank", "type": "sms", "official": True},
            ],
            "templates": [
                {"id": "t-voice", "institution": "bank", "audience": "debtor", "channel": "voice", "approved": True, "text": "请还款"},
                {"id": "t-sms", "institution": "bank", "audience": "debtor", "channel": "sms", "approved": True, "text": "请还款"},
            ],
            "debtors": [{"id": f"d{i}"} for i in range(debtors)],
            "debts": [{"id": f"l{i}", "institution": "bank", "debtor": f"d{i}", "product": "card"} for i in range(debtors)],
            "placements": [
                {"debt": f"l{i}", "agency": "agA", "from": placed_from, "to": placed_to}
                for i in range(0, debtors, 2)
            ],
        }
    )
    with store.transaction() as session:
        Registry(session, at=at - timedelta(days=1)).load_world(world)


def attempt_for(n: int, debtors: int, rng: random.Random, tag: str = "b") -> AttemptIn:
    """The n-th bench attempt: a random debtor, voice and SMS alternating, in-house AI or agency collector."""
    i = rng.randrange(debtors)
    voice = n % 2 == 0
    return AttemptIn(
        id=f"{tag}{n}", collector="c1" if i % 2 == 0 else "bot1", debt=f"l{i}", party=f"d{i}",
        channel="voice" if voice else "sms", mode="notification",
        tool="tel" if voice else "sms", template="t-voice" if voice else "t-sms",
    )


def bench_gate(store: Store, debtors: int, decisions: int, *, threads: int = 64, seed: int = 7,
               start: datetime = START, tag: str = "b") -> tuple[float, list[float], float]:
    """`threads` callers (a dialer's worker threads, or the HTTP server's) each ask `Gate.decide` in turn;
    the gate's group committer decides whatever has queued up in one transaction. Returns decisions per
    second, each call's latency and the mean batch size."""
    gate = Gate(store)
    rng = random.Random(seed)
    work = [(attempt_for(n, debtors, rng, tag), start + timedelta(milliseconds=n)) for n in range(decisions)]
    latencies: list[float] = []
    cursor = iter(work)
    lock = threading.Lock()

    def caller() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            t0 = time.perf_counter()
            gate.decide(*item)
            latencies.append(time.perf_counter() - t0)

    pool = [threading.Thread(target=caller) for _ in range(threads)]
    begin = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    rate = decisions / (time.perf_counter() - begin)
    mean_batch = gate.committer.items / max(gate.committer.batches, 1)
    gate.close()
    return rate, latencies, mean_batch


def bench_baseline(store: Store, debtors: int, decisions: int, *, batch: int = 1, seed: int = 7,
                   start: datetime = START, tag: str = "base") -> float:
    """Plain SQL doing the gate's reads (debtor, debt, recent attempts) and writes (the attempt with its
    lease, one ledger-like row) for `batch` decisions per transaction — the same shape as the gate's."""
    rng = random.Random(seed)
    begin = time.perf_counter()
    for first in range(0, decisions, batch):
        group = [(n, rng.randrange(debtors)) for n in range(first, min(first + batch, decisions))]
        at = start + timedelta(milliseconds=first)
        ids = {"d": [f"d{i}" for _, i in group], "l": [f"l{i}" for _, i in group]}
        with store.engine.begin() as conn:
            conn.execute(text("SELECT id, timezone, status FROM debtors WHERE id IN :d")
                         .bindparams(bindparam("d", expanding=True)), ids).all()
            conn.execute(text("SELECT * FROM debts WHERE id IN :l").bindparams(bindparam("l", expanding=True)), ids).all()
            conn.execute(
                text("SELECT * FROM attempts WHERE debtor_id IN :d AND at >= :a")
                .bindparams(bindparam("d", expanding=True)),
                {"d": ids["d"], "a": (at - timedelta(days=8)).replace(tzinfo=None)},
            ).all()
            rows = [{"id": f"{tag}{n}", "did": str(uuid.uuid4()), "debt": f"l{i}", "d": f"d{i}",
                     "at": at.replace(tzinfo=None)} for n, i in group]
            conn.execute(
                text(
                    "INSERT INTO attempts (id, decision_id, institution_id, debt_id, collector_id, party_id, party_kind, "
                    "debtor_id, channel, mode, at, allowed, failing, lease_state, request, decision) VALUES "
                    "(:id, :did, 'bank', :debt, 'c1', :d, 'debtor', :d, 'sms', 'notification', :at, true, '[]', 'none', '{}', '{}')"
                ),
                rows,
            )
            conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS bench_ledger (seq INTEGER, body TEXT, hash TEXT)"))
            conn.execute(text("INSERT INTO bench_ledger (seq, body, hash) VALUES (:seq, :body, :hash)"),
                         [{"seq": n, "body": r["id"], "hash": r["did"]} for n, r in zip(range(len(rows)), rows, strict=True)])
    return decisions / (time.perf_counter() - begin)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) >= 2 else 0.0


def run(url: str, debtors: int, decisions: int, *, load: bool = True, start: datetime = START,
        threads: int = 64, synchronous: str = "FULL") -> dict[str, float]:
    """Migrate, load the world (unless `load` is false) and measure, on `url`: the gate with `threads`
    concurrent callers, plain SQL in batches of the size the gate's committer formed, and lone decisions.
    `synchronous` (SQLite): FULL, what the product runs with, or NORMAL to measure what FULL costs."""
    upgrade(url)
    store = Store(url, keyring=None if url.startswith("sqlite") else Keyring.generate(), synchronous=synchronous)
    try:
        t0 = time.perf_counter()
        if load:
            build_world(store, debtors, start)
        load_s = time.perf_counter() - t0
        rate, latencies, mean_batch = bench_gate(store, debtors, decisions, threads=threads, start=start)
        batch = max(1, round(mean_batch))
        baseline = bench_baseline(store, debtors, decisions, batch=batch, start=start)
        lone = max(50, decisions // 20)
        lone_rate, lone_latencies, _ = bench_gate(store, debtors, lone, threads=1, tag="s",
                                                  start=start + timedelta(hours=1))
        lone_baseline = bench_baseline(store, debtors, lone, batch=1, seed=8, start=start + timedelta(hours=2),
                                       tag="sbase")
        return {
            "backend": store.dialect,
            "debtors": debtors,
            "decisions": decisions,
            "load_world_s": round(load_s, 2),
            "decide_inprocess_per_s": round(rate, 1),
            "baseline_plain_sql_per_s": round(baseline, 1),
            "decide_inprocess_ratio": round(rate / baseline, 3),
            "decide_threads": threads,
            "decide_mean_batch": round(mean_batch, 1),
            "decide_p50_ms": round(pct(latencies, 50), 3),
            "decide_p99_ms": round(pct(latencies, 99), 3),
            "decide_lone_per_s": round(lone_rate, 1),
            "baseline_lone_plain_sql_per_s": round(lone_baseline, 1),
            "decide_lone_ratio": round(lone_rate / lone_baseline, 3),
            "decide_lone_p50_ms": round(pct(lone_latencies, 50), 3),
            "decide_lone_p99_ms": round(pct(lone_latencies, 99), 3),
        }
    finally:
        store.dispose()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL",
                        help="SQLite: FULL (the product's setting) or NORMAL (to measure what FULL costs)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="cg-bench-")
    url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
    result = run(url, args.debtors, args.decisions, synchronous=args.synchronous)
    r = result
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        print(f"backend {r['backend']}, {args.debtors} debtors, {args.decisions} decisions")
        print(f"gate decide, {r['decide_threads']} callers : {r['decide_inprocess_per_s']:10.1f}/s  p50 {r['decide_p50_ms']} ms"
              f"  p99 {r['decide_p99_ms']} ms  (mean batch {r['decide_mean_batch']})")
        print(f"baseline (plain SQL, same batches): {r['baseline_plain_sql_per_s']:10.1f}/s")
        print(f"ratio gate/baseline               : {r['decide_inprocess_ratio']:10.3f}")
        print(f"lone decisions (one caller)       : {r['decide_lone_per_s']:10.1f}/s  p50 {r['decide_lone_p50_ms']} ms"
              f"  p99 {r['decide_lone_p99_ms']} ms; plain SQL {r['baseline_lone_plain_sql_per_s']}/s,"
              f" ratio {r['decide_lone_ratio']}")
    return result


if __name__ == "__main__":
    main()

"""In-process gate decisions per second, beside a plain-SQL baseline measured in the same run.

    python -m bench.gate_decide [--debtors N] [--decisions N] [--db URL] [--json]

Baseline: per decision, the same kind of reads (debt, collector, debtor, the debtor's recent attempts)
and one leasing write plus one ledger-like insert, in one transaction, with plain SQL on the same
database kind. The ratio says how much the rulebook, ORM and hashing cost over the bare I/O.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

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


def bench_gate(store: Store, debtors: int, decisions: int, seed: int = 7,
               start: datetime = START) -> tuple[float, list[float]]:
    gate = Gate(store)
    rng = random.Random(seed)
    latencies = []
    begin = time.perf_counter()
    for n in range(decisions):
        i = rng.randrange(debtors)
        voice = n % 2 == 0
        attempt = AttemptIn(
            id=f"b{n}", collector="c1" if i % 2 == 0 else "bot1", debt=f"l{i}", party=f"d{i}",
            channel="voice" if voice else "sms", mode="notification",
            tool="tel" if voice else "sms", template="t-voice" if voice else "t-sms",
        )
        t0 = time.perf_counter()
        gate.decide(attempt, start + timedelta(seconds=n))
        latencies.append(time.perf_counter() - t0)
    return decisions / (time.perf_counter() - begin), latencies


def bench_baseline(store: Store, debtors: int, decisions: int, seed: int = 7, start: datetime = START) -> float:
    rng = random.Random(seed)
    begin = time.perf_counter()
    for n in range(decisions):
        i = rng.randrange(debtors)
        at = start + timedelta(seconds=n)
        with store.engine.begin() as conn:
            conn.execute(text("SELECT * FROM debts WHERE id = :i"), {"i": f"l{i}"}).all()
            conn.execute(text("SELECT * FROM collectors WHERE id = :i"), {"i": "c1"}).all()
            conn.execute(text("SELECT * FROM debtors WHERE id = :i"), {"i": f"d{i}"}).all()
            conn.execute(
                text("SELECT * FROM attempts WHERE institution_id = 'bank' AND debtor_id = :d AND at >= :a"),
                {"d": f"d{i}", "a": (at - timedelta(days=8)).replace(tzinfo=None)},
            ).all()
            conn.execute(
                text(
                    "INSERT INTO attempts (id, decision_id, institution_id, debt_id, collector_id, party_id, party_kind, "
                    "debtor_id, channel, mode, at, allowed, failing, lease_state, request, decision) VALUES "
                    "(:id, :did, 'bank', :debt, 'c1', :d, 'debtor', :d, 'sms', 'notification', :at, true, '[]', 'none', '{}', '{}')"
                ),
                {"id": f"base{n}", "did": str(uuid.uuid4()), "debt": f"l{i}", "d": f"d{i}", "at": at.replace(tzinfo=None)},
            )
    return decisions / (time.perf_counter() - begin)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) >= 2 else 0.0


def run(url: str, debtors: int, decisions: int, *, load: bool = True, start: datetime = START) -> dict[str, float]:
    """Migrate, load the world (unless `load` is false) and measure baseline then gate on `url`."""
    upgrade(url)
    store = Store(url, keyring=None if url.startswith("sqlite") else Keyring.generate())
    try:
        t0 = time.perf_counter()
        if load:
            build_world(store, debtors, start)
        load_s = time.perf_counter() - t0
        baseline = bench_baseline(store, debtors, decisions, start=start)
        rate, latencies = bench_gate(store, debtors, decisions, start=start)
        return {
            "backend": store.dialect,
            "debtors": debtors,
            "decisions": decisions,
            "load_world_s": round(load_s, 2),
            "decide_inprocess_per_s": round(rate, 1),
            "baseline_plain_sql_per_s": round(baseline, 1),
            "decide_inprocess_ratio": round(rate / baseline, 3),
            "decide_p50_ms": round(pct(latencies, 50), 3),
            "decide_p99_ms": round(pct(latencies, 99), 3),
        }
    finally:
        store.dispose()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="cg-bench-")
    url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
    result = run(url, args.debtors, args.decisions)
    rate, baseline = result["decide_inprocess_per_s"], result["baseline_plain_sql_per_s"]
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        print(f"backend {result['backend']}, {args.debtors} debtors, {args.decisions} decisions")
        print(f"gate decide (in process): {rate:10.1f}/s  p50 {result['decide_p50_ms']} ms  p99 {result['decide_p99_ms']} ms")
        print(f"baseline (plain SQL)    : {baseline:10.1f}/s")
        print(f"ratio gate/baseline     : {rate / baseline:10.3f}")
    return result


if __name__ == "__main__":
    main()

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
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 5, 20, 9, 0, tzinfo=SH)


def build_world(store: Store, debtors: int) -> None:
    world = s.World.model_validate(
        {
            "institutions": [{"id": "bank"}],
            "agencies": [{"id": "agA", "listed_by": ["bank"]}],
            "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": "2026-01-01", "to": "2026-12-31"}],
            "collectors": [
                {"id": "bot1", "org": "bank", "kind": "ai_agent", "approved": True},
                {"id": "c1", "org": "agA", "kind": "human", "pre_job_exam": "2026-01-05", "pledge_signed": True,
                 "last_training": "2026-01-05"},
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
                {"debt": f"l{i}", "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)}
                for i in range(0, debtors, 2)
            ],
        }
    )
    with store.transaction() as session:
        Registry(session, at=START - timedelta(days=1)).load_world(world)


def bench_gate(store: Store, debtors: int, decisions: int, seed: int = 7) -> tuple[float, list[float]]:
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
        gate.decide(attempt, START + timedelta(seconds=n))
        latencies.append(time.perf_counter() - t0)
    return decisions / (time.perf_counter() - begin), latencies


def bench_baseline(store: Store, debtors: int, decisions: int, seed: int = 7) -> float:
    rng = random.Random(seed)
    begin = time.perf_counter()
    for n in range(decisions):
        i = rng.randrange(debtors)
        at = START + timedelta(seconds=n)
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


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debtors", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="cg-bench-")
    url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
    upgrade(url)
    store = Store(url)
    build_world(store, args.debtors)
    baseline = bench_baseline(store, args.debtors, args.decisions)
    rate, latencies = bench_gate(store, args.debtors, args.decisions)
    result = {
        "backend": store.dialect,
        "debtors": args.debtors,
        "decisions": args.decisions,
        "decide_inprocess_per_s": round(rate, 1),
        "baseline_plain_sql_per_s": round(baseline, 1),
        "decide_inprocess_ratio": round(rate / baseline, 3),
        "decide_p50_ms": round(pct(latencies, 50), 3),
        "decide_p99_ms": round(pct(latencies, 99), 3),
    }
    store.dispose()
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

"""Ledger verification speed, beside hashing the same bodies in a tight loop (measured in the same run).

    python -m bench.ledger_verify --db URL [--json]

verify: `collectguard.ledger.service.verify(session)` — read every record in order, parse its JSON body,
check the indexed columns, recompute the chained hash. Baseline: the same bodies already in memory,
chained through `collectguard.ledger.chain.digest` with nothing else. The ratio (verify ÷ baseline) says
how much the reading and checking cost over the hashing alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.chain import GENESIS, digest
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify


def bench_verify(store: Store, repeat: int = 2) -> dict[str, float | int | bool]:
    best = float("inf")
    outcome = None
    for _ in range(repeat):
        with store.transaction() as session:
            t0 = time.perf_counter()
            outcome = verify(session)
            best = min(best, time.perf_counter() - t0)
    assert outcome is not None
    with store.transaction() as session:
        rows = session.execute(select(LedgerRecord.body).order_by(LedgerRecord.seq)).scalars().all()
    bodies = [(json.loads(b).get("alg", "sm3"), b) for b in rows]
    base = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        prev = GENESIS
        for alg, body in bodies:
            prev = digest(alg, prev, body)
        base = min(base, time.perf_counter() - t0)
    n = outcome.count
    verify_rate = n / best if best > 0 else 0.0
    base_rate = len(bodies) / base if base > 0 else 0.0
    return {
        "verify_records": n,
        "verify_ok": outcome.ok,
        "verify_records_per_s": round(verify_rate, 1),
        "baseline_digest_per_s": round(base_rate, 1),
        "verify_ratio": round(verify_rate / base_rate, 3) if base_rate else 0.0,
    }


def main(argv: list[str] | None = None) -> dict[str, float | int | bool]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL with a ledger")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    store = Store(args.db)
    try:
        result = bench_verify(store)
    finally:
        store.dispose()
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return result


if __name__ == "__main__":
    main()

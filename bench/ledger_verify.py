"""Ledger verification speed, beside hashing the same bodies in a tight loop (measured in the same run).

    python -m bench.ledger_verify --db URL [--json]

verify: `collectguard.ledger.service.verify(session)` — read every record in order, check its framing
against the indexed columns, recompute the chained hash — once serially and once split into one range per
CPU (what `collectguard ledger verify` does from 200,000 records on). Baseline: the same bodies already in
memory, chained through `collectguard.ledger.chain.digest` in one tight loop on one core. The ratio
(verify ÷ baseline) says how much reading and checking cost over hashing alone (serial) and what the
ranges win back (parallel; above 1 means more than one core was used).
"""

from __future__ import annotations

import argparse
import json
import os
import time

from sqlalchemy import select

from bench.common import emit
from collectguard.db.store import Store
from collectguard.ledger.chain import GENESIS, digest
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import Verification, verify


def bench_verify(store: Store, repeat: int = 2) -> dict[str, float | int | bool]:
    workers = os.cpu_count() or 1

    def timed(n_workers: int) -> tuple[float, Verification]:
        best, outcome = float("inf"), None
        for _ in range(repeat):
            with store.read() as session:
                t0 = time.perf_counter()
                outcome = verify(session, workers=n_workers)
                best = min(best, time.perf_counter() - t0)
        assert outcome is not None
        return best, outcome

    serial_s, outcome = timed(1)
    parallel_s, parallel_outcome = timed(workers)
    with store.read() as session:
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
    base_rate = len(bodies) / base if base > 0 else 0.0
    serial_rate = n / serial_s if serial_s > 0 else 0.0
    parallel_rate = n / parallel_s if parallel_s > 0 else 0.0
    return {
        "verify_records": n,
        "verify_ok": outcome.ok and parallel_outcome.ok,
        "verify_workers": workers,
        "verify_records_per_s": round(parallel_rate, 1),
        "verify_ratio": round(parallel_rate / base_rate, 3) if base_rate else 0.0,
        "verify_serial_records_per_s": round(serial_rate, 1),
        "verify_serial_ratio": round(serial_rate / base_rate, 3) if base_rate else 0.0,
        "baseline_digest_per_s": round(base_rate, 1),
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
    emit(result, args.json)
    return result


if __name__ == "__main__":
    main()

"""The retention purge on a demo-sized world, and the raw-byte scan after it (issue 13: "the figures of the purge
test"), beside a baseline measured in the same run.

    python -m bench.retention_purge [--debtors 10000] [--purge 1000] [--db sqlite:///PATH] [--json]

1. A demo world (`load_demo`, 10,000 debtors) — reused when --db names a file that has one.
2. `--purge` of its debtors get every debt settled 6 years before the run (plain SQL: the bench's set-up, not a
   service), so they are past the 5-year default retention.
3. The purge: `retention.service.run` (the plan, then batches of 200: the personal columns, contacts, QA transcripts,
   notes, references, cached answers, complaints; a deletion-log entry and a ledger record per debtor; VACUUM and a
   WAL checkpoint), timed as plan / purge / compact. Baseline: on a copy of the same file, one plain UPDATE that
   sets the debtors' and their contacts' personal columns to NULL (what any purge must at least do), then VACUUM.
4. `ledger verify` over the whole chain, and a scan of the raw bytes of the file and its WAL for every purged
   debtor's encrypted tokens and keyed hashes (as stored before), and clear phone and ID numbers (decrypted before).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from collectguard.config import Settings
from collectguard.db.store import Store
from collectguard.demo.organisations import LENDER
from collectguard.ledger.service import verify
from collectguard.registry import models as m
from collectguard.registry.personal import read_personal
from collectguard.registry.unit import Units
from collectguard.retention import service

TOKEN = re.compile(rb"cg1\.")  # where a token may start (its end runs into the next column's bytes)
HEX64 = re.compile(rb"(?=([0-9a-f]{64}))")  # every 64-hex window, overlapping
DIGITS = re.compile(rb"[0-9X]{11,18}")


def _files(url: str) -> list[Path]:
    path = Path(make_url(url).database or "")
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def prepare(url: str, debtors: int, purge: int) -> list[str]:
    from collectguard.demo.world import load_demo

    path = Path(make_url(url).database or "")
    if not path.exists():
        load_demo(url, debtors=debtors)
    raw = sqlite3.connect(path)
    try:
        chosen = [r[0] for r in raw.execute(
            "SELECT id FROM debtors WHERE name IS NOT NULL AND id LIKE 'd%' AND id NOT IN "
            "(SELECT debtor_id FROM complaints WHERE debtor_id IS NOT NULL) AND id NOT IN "
            "(SELECT debtor_id FROM debt_guarantors) ORDER BY id LIMIT ?", (purge,))]
        old = (datetime.now(UTC) - timedelta(days=365 * 6)).strftime("%Y-%m-%d %H:%M:%S.000000")
        marks = ",".join("?" * len(chosen))
        raw.execute(f"UPDATE debts SET status='settled', settled_at=? WHERE debtor_id IN ({marks})", (old, *chosen))
        raw.execute(f"UPDATE holds SET released_at=? WHERE released_at IS NULL AND debtor_id IN ({marks})",
                    (old, *chosen))
        raw.commit()
    finally:
        raw.close()
    return chosen


def secrets(store: Store, ids: list[str]) -> tuple[set[bytes], set[bytes], set[bytes]]:
    tokens: set[bytes] = set()
    hashes: set[bytes] = set()
    clear: set[bytes] = set()
    with store.read() as session:
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            for d in session.execute(select(m.Debtor).where(m.Debtor.id.in_(part))).scalars():
                tokens |= {getattr(d, f).encode() for f in ("name", "phone", "id_number", "address") if getattr(d, f)}
                hashes |= {getattr(d, f).encode() for f in ("phone_index", "id_number_index") if getattr(d, f)}
                p = read_personal(d)
                clear |= {p[f].encode() for f in ("phone", "id_number") if p[f]}
            for c in session.execute(select(m.Contact).where(m.Contact.debtor_id.in_(part))).scalars():
                tokens |= {getattr(c, f).encode() for f in ("name", "phone") if getattr(c, f)}
                if c.phone_index:
                    hashes.add(c.phone_index.encode())
                p = read_personal(c)
                if p["phone"]:
                    clear.add(p["phone"].encode())
    return tokens, hashes, clear


def scan(url: str, tokens: set[bytes], hashes: set[bytes], clear: set[bytes]) -> dict[str, Any]:
    t0 = time.perf_counter()
    found_tokens: set[bytes] = set()
    found_hashes: set[bytes] = set()
    found_clear: set[bytes] = set()
    size = 0
    for path in _files(url):
        blob = path.read_bytes()
        size += len(blob)
        lengths = {len(t) for t in tokens}
        starts = [m.start() for m in TOKEN.finditer(blob)]
        found_tokens |= {blob[i:i + n] for i in starts for n in lengths} & tokens
        found_hashes |= set(HEX64.findall(blob)) & hashes
        runs = set(DIGITS.findall(blob))
        found_clear |= {c for c in clear if c in runs or any(c in r for r in runs if len(r) > len(c))}
    return {"bytes_scanned": size, "tokens_sought": len(tokens), "tokens_found": len(found_tokens),
            "keyed_hashes_sought": len(hashes), "keyed_hashes_found": len(found_hashes),
            "clear_numbers_sought": len(clear), "clear_numbers_found": len(found_clear),
            "scan_s": round(time.perf_counter() - t0, 2)}


def baseline(url: str, ids: list[str]) -> float:
    """One plain UPDATE of the same debtors' and contacts' personal columns on a copy, then VACUUM."""
    src = Path(make_url(url).database or "")
    folder = Path(tempfile.mkdtemp(prefix="cg-purge-base-"))
    try:
        copy = folder / "copy.db"
        raw = sqlite3.connect(src)
        raw.execute(f"VACUUM INTO '{copy}'")
        raw.close()
        conn = sqlite3.connect(copy)
        marks = ",".join("?" * len(ids))
        t0 = time.perf_counter()
        conn.execute(f"UPDATE debtors SET name=NULL, phone=NULL, id_number=NULL, address=NULL, phone_index=NULL, "
                     f"id_number_index=NULL WHERE id IN ({marks})", ids)
        conn.execute(f"UPDATE contacts SET name=NULL, phone=NULL, phone_index=NULL WHERE debtor_id IN ({marks})", ids)
        conn.commit()
        conn.execute("VACUUM")
        elapsed = time.perf_counter() - t0
        conn.close()
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--purge", type=int, default=1_000)
    parser.add_argument("--db", default=None, help="sqlite:///PATH (default: a file under $TMPDIR)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    url = args.db or f"sqlite:///{tempfile.gettempdir()}/cg-bench-purge-{args.debtors}.db"
    ids = prepare(url, args.debtors, args.purge)
    store = Store(url)
    try:
        tokens, hashes, clear = secrets(store, ids)
        before = scan(url, tokens, hashes, clear)
        base_s = baseline(url, ids)
        units = Units(store, Settings.from_env().ledger_hash)
        at = datetime.now(UTC)
        t0 = time.perf_counter()
        with units.read() as session:
            planned = service.plan(session, LENDER, at)
        plan_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        out = service.run(units, LENDER, approved_by="bench", at=at, vacuum="none")
        purge_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        compacted = service.compact(units)
        compact_s = time.perf_counter() - t2
        with store.read() as session:
            t3 = time.perf_counter()
            verified = verify(session, workers=os.cpu_count() or 1)
            verify_s = time.perf_counter() - t3
            remaining = session.execute(text("SELECT count(*) FROM debtors WHERE name IS NOT NULL")).scalar_one()
    finally:
        store.dispose()
    after = scan(url, tokens, hashes, clear)
    # A refusal's keyed hash outlives retention by design (refused_numbers, art. 8(三): never contacted again).
    raw = sqlite3.connect(Path(make_url(url).database or ""))
    refused = {r[0].encode() for r in raw.execute("SELECT phone_index FROM refused_numbers")}
    raw.close()
    after["keyed_hashes_kept_by_refusals"] = len(hashes & refused)
    figures = {
        "debtors_in_world": args.debtors, "chosen": len(ids), "planned": len(planned), "purged": out.count,
        "deletion_log_entries": out.entries, "plan_s": round(plan_s, 2),
        "purge_s (plan + batches, in run)": round(purge_s, 2), "purged_per_s": round(out.count / purge_s, 1),
        "compact_s": round(compact_s, 2), "compact": compacted,
        "baseline_update_vacuum_s": round(base_s, 2),
        "ratio_purge_plus_compact_to_baseline": round((purge_s + compact_s) / base_s, 1) if base_s else None,
        "ledger_verified": verified.ok, "ledger_records": verified.count, "verify_s": round(verify_s, 2),
        "debtors_keeping_a_name": remaining, "scan_before": before, "scan_after": after,
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k}: {v}")
    return figures


if __name__ == "__main__":
    main()

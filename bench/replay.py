"""Replay speed (回放速度): judging a call log through the rulebook, beside only parsing the same CSV.

    python -m bench.replay [--quick] [--calls N] [--workers W] [--json]

A synthetic world (N/50 debtors, at least 2,000; three agencies, one off the name list) and an Asterisk
Master.csv of N = 1,000,000 calls over 30 days (--quick: 100,000) from `collectguard.replay.synthetic` —
deterministic, cached under $TMPDIR/cg-bench-replay-<N>-<debtors>/. Measured in the same run:
  - baseline: `csv.reader` over the file, every row split and counted — nothing else;
  - replay: `replay.parallel.replay_logs(workers=W)` (default: every CPU), what `collectguard replay` runs:
    each worker reads the file, parses its own debtors' rows, judges them, and sends the verdicts back; the
    parent puts them in file order. Counted: from the file to every verdict in memory. The world is loaded
    once beforehand (its time is reported, not counted: it does not grow with the log); the summary's time
    is reported beside.
Prints calls/s of both, their ratio (replay ÷ baseline), the summary's counts, peak resident memory of the
parent and of the largest worker (forked: their shared pages are counted in both), the peak of parent and
workers together while replaying (`replay_peak_pss_all_mb`: proportional set sizes summed, shared pages once),
the peak of the child that loaded the world before (`replay_world_loader_peak_rss_mb`: it has exited by then),
the share of the machine's CPU time the hypervisor stole meanwhile (`replay_cpu_stolen_share`: a noisy host), and the replay's CPU
seconds (parent + workers: calls per CPU second holds up when other processes share the cores). Progress: stderr.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PeakMemory, cpu_jiffies, emit, log, ratio, steal_share
from collectguard.replay import parallel, synthetic
from collectguard.replay.mapping import parse_map
from collectguard.replay.world import load_world_apart


def data(n_calls: int) -> tuple[Path, Path]:
    """(world.yaml, Master.csv), generated once per size."""
    n_debtors = max(2_000, n_calls // 50)  # ~50 calls a debtor a month, ~1.7 a day: a busy collection floor
    directory = Path(tempfile.gettempdir()) / f"cg-bench-replay-{n_calls}-{n_debtors}"
    world, log_path = directory / "world.yaml", directory / "Master.csv"
    done = directory / ".done"
    if not done.exists():
        log(f"generating {n_calls:,} calls into {directory}")
        synthetic.write(directory, n_calls=n_calls, n_debtors=n_debtors)
        done.write_text("ok\n", encoding="utf-8")
    return world, log_path


def baseline(path: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for _row in csv.reader(fh):
            n += 1
    return n, time.perf_counter() - t0


def _cpu_s() -> float:
    """CPU seconds of this process and its finished workers (robust when other processes share the cores)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def replay(world_path: Path, path: Path, workers: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    world = load_world_apart(world_path)
    world_s = time.perf_counter() - t0
    loader_rss_mb = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    mapping = parse_map(synthetic.MAP)
    t0 = time.perf_counter()
    cpu0 = _cpu_s()
    jiffies0 = cpu_jiffies()
    with PeakMemory() as memory:
        result = parallel.replay_logs(world, [path], mapping, workers=workers)
    total_s = time.perf_counter() - t0
    cpu_s = _cpu_s() - cpu0
    stolen = steal_share(jiffies0, cpu_jiffies())
    t1 = time.perf_counter()
    summary = result.summary()
    summary_s = time.perf_counter() - t1
    return {
        "calls": summary["calls"],
        "world_load_s": round(world_s, 2),
        "cpu_s": round(cpu_s, 2),
        "total_s": round(total_s, 2),
        "summary_s": round(summary_s, 2),
        "peak_pss_all_mb": memory.peak_mb,
        "peak_rss_worker_mb": memory.child_peak_rss_mb,
        "world_loader_peak_rss_mb": loader_rss_mb,
        "cpu_stolen_share": stolen,
        "judged": summary["judged"],
        "unmatched": summary["unmatched"],
        "denied": summary["denied"],
        "errors": len(result.errors),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 calls instead of 1,000,000")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n = args.calls or (100_000 if args.quick else 1_000_000)
    world_path, path = data(n)
    log("baseline: csv.reader only")
    base_n, base_s = min((baseline(path) for _ in range(2)), key=lambda r: r[1])
    log(f"replay with {args.workers} workers")
    got = replay(world_path, path, args.workers)
    base_rate = base_n / base_s if base_s else 0.0
    rate = got["calls"] / got["total_s"] if got["total_s"] else 0.0
    result: dict[str, Any] = {
        "replay_calls": got["calls"],
        "replay_workers": args.workers,
        "replay_calls_per_s": round(rate, 1),
        "replay_calls_per_cpu_s": round(got["calls"] / got["cpu_s"], 1) if got["cpu_s"] else 0.0,
        "baseline_csv_rows_per_s": round(base_rate, 1),
        "replay_ratio": ratio(rate, base_rate),
        **{f"replay_{k}": v for k, v in got.items() if k != "calls"},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    emit(result, args.json)
    return result


if __name__ == "__main__":
    main()

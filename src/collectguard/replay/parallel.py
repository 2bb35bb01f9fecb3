"""并行回放 / Replay across processes: partition the calls by debtor, judge each partition in a worker.

Every rule with state (voice and effective-call caps, visits, a contact's precondition, one agency per debt)
counts per debtor — per (institution, debtor) — and everything else a replay reads (agencies, agreements,
collectors, tools, templates, refusals) is static for the replay. So debtors are independent: the calls of
one debtor (and of the debtors a debt ties to it as guarantors, and of its contacts) form one partition,
judged in start order by `judge.judge` exactly as in one process, and the partitions can run anywhere.

- Matching numbers to debtors is a dictionary look-up, done in the parent (`partition_keys`); a number that
  is no party goes to a partition by its own value (the judge marks it unmatched).
- Workers are forked after the world and the calls are in memory, so neither is pickled: a task is a list of
  call positions, an answer a compact tuple per call; the parent puts the verdicts back in the input order.
- Where fork is not available (or `workers <= 1`), the same partitions run in the parent.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from collectguard.replay.model import Call, ReplayResult, Verdict

# What a forked worker inherits (set in the parent just before the pool starts; never pickled).
_WORLD: Any = None
_CALLS: Sequence[Call] = ()

_Row = tuple[int, bool, "str | None", tuple[str, ...], "str | None", "str | None", "str | None", "str | None",
             "str | None", "int | None"]


def _load(world_source: Any) -> Any:
    if isinstance(world_source, (str, Path)):
        from collectguard.replay.world import load_world

        return load_world(world_source)
    return world_source


def compact(calls: Iterable[Call]) -> Iterator[Call]:
    """The same calls, sharing what repeats between them (ids, numbers, the `extra` mapping): a million calls
    of a log hold a few thousand distinct collectors, numbers and extras, so this roughly halves the memory of
    a replay. The calls are not copied; `extra` dicts become shared — treat them as read-only."""
    strings: dict[str, str] = {}
    extras: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for call in calls:
        call.collector = strings.setdefault(call.collector, call.collector)
        call.tool_number = strings.setdefault(call.tool_number, call.tool_number)
        call.party_number = strings.setdefault(call.party_number, call.party_number)
        extra = call.extra
        key = tuple(extra.items())
        shared = extras.get(key)
        if shared is None:
            shared = extras[key] = {strings.setdefault(k, k): strings.setdefault(v, v) for k, v in extra.items()}
        call.extra = shared
        call.channel = strings.setdefault(call.channel, call.channel)
        call.mode = strings.setdefault(call.mode, call.mode)
        if call.template is not None:
            call.template = strings.setdefault(call.template, call.template)
        if call.purpose is not None:
            call.purpose = strings.setdefault(call.purpose, call.purpose)
        yield call


def read_logs(paths: Sequence[str | Path], mapping: Any, errors: list[tuple[str, int, str]], *,
              progress: bool | None = None) -> list[Call]:
    """Parse log files with `replay.logs.parse_rows`, streaming (never the whole file as rows in memory),
    compacted; `order` runs on across files (command-line order). Malformed rows go to `errors`.
    `progress`: a bar over the files' sizes on a terminal (None: only when stderr is one)."""
    import csv
    import os

    from collectguard.replay.logs import parse_rows

    sizes = []
    for path in paths:
        try:
            sizes.append(os.path.getsize(path))
        except OSError:
            sizes.append(0)
    bar = _progress(progress, sum(sizes), "读取 / reading")
    calls: list[Call] = []
    try:
        for path in paths:
            name, start = str(path), calls[-1].order if calls else 0
            try:
                with open(path, encoding="utf-8-sig", newline="") as fh:
                    rows = csv.reader(fh if bar is None else _counted(fh, bar))
                    calls.extend(compact(parse_rows(rows, mapping, name, order_start=start, errors=errors)))
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                errors.append((name, 0, f"无法读取日志 / cannot read the log: {exc}"))
    finally:
        if bar is not None:
            bar.stop()
    return calls


def _counted(lines: Iterable[str], bar: Any, every: int = 20_000) -> Iterator[str]:
    """The lines, advancing `bar` by their length (characters: close enough to bytes for a bar)."""
    task, pending, n = bar.task_ids[0], 0, 0
    for line in lines:
        pending += len(line)
        n += 1
        if n % every == 0:
            bar.advance(task, pending)
            pending = 0
        yield line
    bar.advance(task, pending)


def partition_keys(world: Any) -> dict[str, str]:
    """Normalised phone number → partition key: debtors tied by a debt (borrower and guarantors) and the
    contacts of any of them share one key (the smallest debtor id of the group)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra

    rows = getattr(world, "rows", None)
    debts = getattr(rows, "debts", {}) or {}
    for debt_id, guarantors in (getattr(rows, "guarantors", {}) or {}).items():
        d = debts.get(debt_id)
        if d is not None:
            for g in guarantors:
                union(d.debtor_id, g)
    party_kind = getattr(world, "party_kind", {}) or {}

    def debtor_of(party: str) -> str:
        got = party_kind.get(party)
        return got[1] if got else party

    keys: dict[str, str] = {}
    for number, parties in (getattr(world, "parties_by_number", {}) or {}).items():
        members = [debtor_of(p) for p in parties]
        for other in members[1:]:  # one number, several parties: judge them together
            union(members[0], other)
        keys[number] = members[0] if members else number
    return {number: find(k) for number, k in keys.items()}


def partitions(calls: Sequence[Call], keys: dict[str, str], n: int) -> list[list[int]]:
    """Positions of `calls` in `n` buckets; every call of one key in the same bucket, each bucket in
    (start, file order)."""
    buckets: list[list[int]] = [[] for _ in range(max(1, n))]
    memo: dict[str, int] = {}
    for pos, call in enumerate(calls):
        number = call.party_number
        b = memo.get(number)
        if b is None:
            key = keys.get(number, "#" + number)
            b = memo[number] = zlib.crc32(key.encode()) % len(buckets)
        buckets[b].append(pos)
    for bucket in buckets:
        bucket.sort(key=lambda p: (calls[p].start, calls[p].order, p))
    return [b for b in buckets if b]


def _judge_positions(positions: list[int]) -> list[_Row]:
    from collectguard.replay.judge import judge

    calls = [_CALLS[p] for p in positions]
    verdicts = judge(_WORLD, calls)
    return [
        (p, v.judged, v.unmatched_reason, tuple(v.rules), v.agency, v.collector, v.debtor_id, v.debt_id,
         v.local_day, v.local_hour)
        for p, v in zip(positions, verdicts, strict=True)
    ]


def _progress(enabled: bool | None, total: int, label: str = "回放 / replay") -> Any:
    """A rich progress bar on a terminal (stderr); nothing when stderr is not one (logs, CI, pipes)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    bar.start()
    bar.add_task("replay", total=total)
    return bar


def run(world_source: Any, calls: Sequence[Call], *, workers: int = 2, progress: bool | None = None,
        errors: Iterable[tuple[str, int, str]] = (), chunks_per_worker: int = 16,
        on_done: Callable[[int], None] | None = None) -> ReplayResult:
    """Judge `calls` (any order; each call's `order` is its file order) with `workers` processes.

    `world_source`: a loaded `ReplayWorld` or the path of a world file. Returns the verdicts in the order of
    `calls`, plus `errors` (malformed rows, passed through). `progress`: True / False / None (a bar only when
    stderr is a terminal). `on_done(n)` is told after each partition how many calls it judged.
    """
    global _WORLD, _CALLS
    world = _load(world_source)
    calls = calls if isinstance(calls, list) else list(calls)
    workers = max(1, int(workers))
    can_fork = workers > 1 and "fork" in mp.get_all_start_methods() and len(calls) > 1
    n_parts = workers * chunks_per_worker if can_fork else 1
    parts = partitions(calls, partition_keys(world), n_parts)
    out: list[Verdict | None] = [None] * len(calls)
    bar = _progress(progress, len(calls))
    strings: dict[Any, Any] = {}  # share repeated values (days, rule tuples, ids) between verdicts

    def take(rows: list[_Row]) -> None:
        for p, judged, reason, rules, agency, collector, debtor, debt, day, hour in rows:
            out[p] = Verdict(
                call=calls[p], judged=judged, unmatched_reason=strings.setdefault(reason, reason),
                rules=strings.setdefault(rules, rules), agency=strings.setdefault(agency, agency),
                collector=strings.setdefault(collector, collector), debtor_id=strings.setdefault(debtor, debtor),
                debt_id=strings.setdefault(debt, debt), local_day=strings.setdefault(day, day), local_hour=hour)
        if bar is not None:
            bar.advance(bar.task_ids[0], len(rows))
        if on_done is not None:
            on_done(len(rows))

    _WORLD, _CALLS = world, calls
    try:
        if can_fork:
            ctx = mp.get_context("fork")
            # biggest partitions first, so the last worker is not left alone with a big one
            parts.sort(key=len, reverse=True)
            with ctx.Pool(processes=min(workers, len(parts))) as pool:
                for rows in pool.imap_unordered(_judge_positions, parts):
                    take(rows)
        else:
            for part in parts:
                take(_judge_positions(part))
    finally:
        _WORLD, _CALLS = None, ()
        if bar is not None:
            bar.stop()
    missing = [i for i, v in enumerate(out) if v is None]
    if missing:  # a judge that drops a call is a bug, not a result
        raise RuntimeError(f"回放漏判 {len(missing)} 通 / the judge returned no verdict for {len(missing)} calls")
    return ReplayResult(verdicts=out, errors=list(errors))  # type: ignore[arg-type]

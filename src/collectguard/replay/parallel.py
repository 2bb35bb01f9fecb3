"""并行回放 / Replay across processes: partition the calls by debtor, judge each partition in a worker.

Every rule with state (voice and effective-call caps, visits, a contact's precondition, one agency per debt)
counts per debtor — per (institution, debtor) — and everything else a replay reads (agencies, agreements,
collectors, tools, templates, refusals) is static for the replay. So debtors are independent: the calls of
one debtor (and of the debtors a debt ties to it as guarantors, and of its contacts) form one partition,
judged in start order by `judge.judge` exactly as in one process, and the partitions can run anywhere.

- A number goes to its debtor's group (`debtor_groups`, a dictionary look-up; for a database world through
  the number's keyed hash); a number that is no party goes to a partition by its own value (the judge marks
  it unmatched).
- `replay_logs` (the command's way): each forked worker reads every log itself, parses only the rows of its
  own debtors (`logs.parse_rows(keep=...)`: splitting a CSV row costs a tenth of parsing it), judges them, and
  sends back a compact tuple per call; the parent rebuilds the verdicts in file order. Parsing thus runs in
  parallel too, and the parent never holds the calls before they are judged.
- `run` judges calls already in memory: workers are forked after the world and the calls are loaded, so
  neither is pickled; a task is a list of call positions.
- Where fork is not available (or `workers <= 1`), everything runs in the parent.
"""

from __future__ import annotations

import gc
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
    compacted; `order` runs on across files (command-line order, `logs.file_order`). Malformed rows go to
    `errors`.
    `progress`: a bar over the files' sizes on a terminal (None: only when stderr is one)."""
    import csv
    import os

    from collectguard.replay.logs import file_order, parse_rows

    sizes = []
    for path in paths:
        try:
            sizes.append(os.path.getsize(path))
        except OSError:
            sizes.append(0)
    bar = _progress(progress, sum(sizes), "读取 / reading")
    calls: list[Call] = []
    try:
        for index, path in enumerate(paths):
            name, start = str(path), file_order(index)
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


def debtor_groups(world: Any) -> dict[str, str]:
    """Debtor → its group's key: debtors tied by a debt (borrower and guarantors), and the debtors whose
    parties share a number, form one group, keyed by its smallest debtor id. A contact's calls go with its
    debtor (its history is the debtor's)."""
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
    shared = [*(getattr(world, "parties_by_number", {}) or {}).values(), *(getattr(world, "phone_index", {}) or {}).values()]
    for parties in shared:  # one number, several parties: judge them together
        members = [_debtor_of(world, p) for p in parties]
        for other in members[1:]:
            union(members[0], other)
    return {debtor: find(debtor) for debtor in list(parent)}


def _debtor_of(world: Any, party: str) -> str:
    got = (getattr(world, "party_kind", {}) or {}).get(party)
    return got[1] if got else party


def _parties_of(world: Any, number: str) -> list[str]:
    """The parties a normalised number reaches: the world file's phones, or a database's keyed-hash index."""
    found = (getattr(world, "parties_by_number", {}) or {}).get(number)
    if not found and getattr(world, "hasher", None) is not None and number:
        found = world.phone_index.get(world.hasher(number))
    return list(found or ())


class _Buckets:
    """Normalised number → partition (0 … n-1): every number of one debtor group in the same partition."""

    def __init__(self, world: Any, n: int) -> None:
        self.world, self.n, self.groups = world, max(1, n), debtor_groups(world)
        self.memo: dict[str, int] = {}

    def key(self, number: str) -> str:
        parties = _parties_of(self.world, number)
        if not parties:
            return "#" + number
        debtor = _debtor_of(self.world, parties[0])
        return self.groups.get(debtor, debtor)

    def __call__(self, number: str) -> int:
        got = self.memo.get(number)
        if got is None:
            got = self.memo[number] = zlib.crc32(self.key(number).encode()) % self.n
        return got


def partition_keys(world: Any) -> dict[str, str]:
    """Normalised phone number → partition key, for the numbers the world names (`debtor_groups`)."""
    buckets = _Buckets(world, 1)
    return {number: buckets.key(number) for number in (getattr(world, "parties_by_number", {}) or {})}


def partitions(calls: Sequence[Call], world: Any, n: int) -> list[list[int]]:
    """Positions of `calls` in `n` buckets; every call of one debtor group in the same bucket, each bucket in
    (start, file order)."""
    bucket_of = _Buckets(world, n)
    buckets: list[list[int]] = [[] for _ in range(bucket_of.n)]
    for pos, call in enumerate(calls):
        buckets[bucket_of(call.party_number)].append(pos)
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
    parts = partitions(calls, world, n_parts)
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


# --- replay_logs: workers that parse their own rows -------------------------------------------------------------

_CHUNK = 50_000  # verdicts per message from a worker

# A verdict as a worker sends it: the call's fields (Call's order), then the verdict's.
_Sent = tuple[Any, ...]


def _send(call: Call, v: Verdict) -> _Sent:
    return (call.line, call.file, call.uniqueid, call.collector, call.tool_number, call.party_number, call.start,
            call.connected, call.duration_s, call.extra, call.channel, call.mode, call.template, call.purpose,
            call.recording, call.order, v.judged, v.unmatched_reason, v.rules, v.agency, v.collector, v.debtor_id,
            v.debt_id, v.local_day, v.local_hour)


def _received(row: _Sent) -> Verdict:
    (line, file, uniqueid, collector, tool, party, start, connected, duration, extra, channel, mode, template,
     purpose, recording, order, judged, reason, rules, agency, v_collector, debtor, debt, day, hour) = row
    call = Call(line, file, uniqueid, collector, tool, party, start, connected, duration, extra, channel, mode,
                template, purpose, recording, order)
    return Verdict(call, judged, reason, rules, agency, v_collector, debtor, debt, day, hour)


def _parse_own(world: Any, paths: Sequence[str | Path], mapping: Any, mine: Callable[[str | None], bool],
               errors: list[tuple[str, int, str]], report_unreadable: bool) -> list[Call]:
    """The calls of every log whose rows `mine` selects, compacted (`read_logs`, for one worker's rows)."""
    import csv

    from collectguard.replay.logs import file_order, parse_rows

    calls: list[Call] = []
    for index, path in enumerate(paths):
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                calls.extend(compact(parse_rows(csv.reader(fh), mapping, str(path), order_start=file_order(index),
                                                errors=errors, keep=mine)))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            if report_unreadable:
                errors.append((str(path), 0, f"无法读取日志 / cannot read the log: {exc}"))
    if hasattr(world, "add_numbers"):
        world.add_numbers({c.party_number for c in calls})
    return calls


def _worker(index: int, n: int, paths: Sequence[str | Path], mapping: Any, queue: Any) -> None:
    """One forked worker of `replay_logs`: parse its own rows, judge them, send the verdicts back."""
    from collectguard.replay.judge import judge
    from collectguard.replay.mapping import MapError

    # Nothing a worker makes is garbage in a cycle until it exits: the cyclic collector would only walk its
    # millions of calls and history rows again and again (a third of its time on a million calls).
    gc.disable()
    try:
        world = _WORLD
        bucket_of = _Buckets(world, n)

        def mine(number: str | None) -> bool:  # a row too short or too long to name a party: worker 0's
            return (0 if number is None else bucket_of(number)) == index

        errors: list[tuple[str, int, str]] = []
        calls = _parse_own(world, paths, mapping, mine, errors, report_unreadable=index == 0)
        queue.put(("parsed", index, len(calls)))
        verdicts = judge(world, calls, on_progress=lambda k: queue.put(("judged", index, k)))
        for at in range(0, len(calls), _CHUNK):
            queue.put(("verdicts", index, [_send(c, v) for c, v in zip(calls[at:at + _CHUNK],
                                                                       verdicts[at:at + _CHUNK], strict=True)]))
        queue.put(("done", index, errors))
    except MapError as exc:
        queue.put(("map-error", index, str(exc)))
    except BaseException:  # noqa: BLE001 — whatever it was, the parent must hear of it, not wait forever
        import traceback

        queue.put(("failed", index, traceback.format_exc()))


def replay_logs(world_source: Any, paths: Sequence[str | Path], mapping: Any, *, workers: int = 2,
                progress: bool | None = None, on_done: Callable[[int], None] | None = None) -> ReplayResult:
    """Read and judge log files (command-line order) with `workers` processes, each parsing and judging its
    own debtors' rows; verdicts in file order, malformed rows in `errors` (file order). Raises
    `mapping.MapError` when a log lacks the map's columns. `progress`, `on_done`: as for `run`."""
    import queue as queue_module

    from collectguard.replay.mapping import MapError

    global _WORLD
    world = _load(world_source)
    workers = max(1, int(workers))
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        errors: list[tuple[str, int, str]] = []
        calls = read_logs(paths, mapping, errors, progress=progress)
        if hasattr(world, "add_numbers"):
            world.add_numbers({c.party_number for c in calls})
        return run(world, calls, workers=1, progress=progress, errors=errors, on_done=on_done)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    gc_was_enabled = gc.isenabled()
    gc.freeze()  # the world's objects: out of the collector's sight, so the workers do not copy their pages
    gc.disable()  # while a million verdicts arrive (none is in a cycle)
    bar = _progress(progress, 0)
    if bar is not None:
        bar.update(bar.task_ids[0], total=None)  # unknown until every worker has parsed its rows
    _WORLD = world
    procs = [ctx.Process(target=_worker, args=(i, workers, list(paths), mapping, queue), daemon=True)
             for i in range(workers)]
    verdicts: list[Verdict] = []
    errors = []
    parsed: dict[int, int] = {}
    finished: set[int] = set()
    try:
        for proc in procs:
            proc.start()
        while len(finished) < workers:
            try:
                kind, index, payload = queue.get(timeout=1.0)
            except queue_module.Empty:
                dead = [i for i, p in enumerate(procs) if i not in finished and p.exitcode is not None]
                if dead:
                    raise RuntimeError(f"回放进程意外退出 / replay worker {dead[0]} exited with "
                                       f"{procs[dead[0]].exitcode} before it finished") from None
                continue
            if kind == "parsed":
                parsed[index] = payload
                if bar is not None and len(parsed) == workers:
                    bar.update(bar.task_ids[0], total=sum(parsed.values()))
            elif kind == "judged":
                if bar is not None:
                    bar.advance(bar.task_ids[0], payload)
                if on_done is not None:
                    on_done(payload)
            elif kind == "verdicts":
                verdicts.extend(_received(row) for row in payload)
            elif kind == "done":
                errors.extend(payload)
                finished.add(index)
            elif kind == "map-error":
                raise MapError(payload)
            else:
                raise RuntimeError(f"回放进程出错 / replay worker {index} failed:\n{payload}")
    finally:
        _WORLD = None
        gc.unfreeze()
        if gc_was_enabled:
            gc.enable()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        queue.close()
        if bar is not None:
            bar.stop()
    verdicts.sort(key=lambda v: v.call.order)
    file_index = {str(p): i for i, p in enumerate(paths)}
    errors.sort(key=lambda e: (file_index.get(e[0], len(file_index)), e[1]))
    return ReplayResult(verdicts=verdicts, errors=errors)

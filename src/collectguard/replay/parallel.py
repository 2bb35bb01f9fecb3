"""并行回放 / Replay across processes: partition the calls by debtor, judge each partition in a worker.

Every rule with state (voice and effective-call caps, visits, a contact's precondition, one agency per debt)
counts per debtor — per (institution, debtor) — and everything else a replay reads (agencies, agreements,
collectors, tools, templates, refusals) is static for the replay. So debtors are independent: the calls of
one debtor (and of the debtors a debt ties to it as guarantors, and of its contacts) form one partition,
judged in start order (`judge.judge_in_order`) exactly as in one process, and the partitions can run anywhere.

- A number goes to its debtor's group (`debtor_groups`, a dictionary look-up; for a database world through
  the number's keyed hash); a number that is no party goes to a partition by its own value (the judge marks
  it unmatched).
- `replay_logs`: each forked worker (forked after the world is loaded, so the world is never pickled) reads
  every log itself, parses only the rows of its own debtors (`read_logs(keep=...)`: splitting a CSV row costs
  a tenth of parsing it), judges them, and sends back its counts (`model.Tally`) and its denied calls as
  compact tuples; the parent merges them, denied calls in file order. Parsing thus runs in parallel too, and
  no process holds a verdict for every call.
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

from collectguard.replay.model import Call, ReplayResult, Tally, Verdict

# What a forked worker inherits (set in the parent just before the workers start; never pickled).
_WORLD: Any = None


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
              progress: bool | None = None, keep: Callable[[str | None], bool] | None = None,
              report_unreadable: bool = True) -> list[Call]:
    """Parse log files with `replay.logs.parse_rows`, streaming (never the whole file as rows in memory),
    compacted; `order` runs on across files (command-line order, `logs.file_order`). Malformed rows go to
    `errors`; an unreadable file too, unless `report_unreadable` is false (another worker reports it).
    `keep`: only the rows it selects (`parse_rows`). `progress`: a bar over the files' sizes on a terminal
    (None: only when stderr is one)."""
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
                    calls.extend(compact(parse_rows(rows, mapping, name, order_start=start, errors=errors,
                                                    keep=keep)))
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                if report_unreadable:
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
    joined: set[str] = set()

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        joined.update((a, b))
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
    return {debtor: find(debtor) for debtor in joined}


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


# --- replay_logs: workers that parse their own rows -------------------------------------------------------------

_TICK = 10_000  # calls judged per progress message from a worker
_CHUNK = 5_000  # denied calls per message

# A denied call as a worker sends it: the call's fields (in Call's order), then the verdict's.
_Sent = tuple[Any, ...]


def _send(v: Verdict) -> _Sent:
    c = v.call
    return (c.line, c.file, c.uniqueid, c.collector, c.tool_number, c.party_number, c.start, c.connected,
            c.duration_s, c.extra, c.channel, c.mode, c.template, c.purpose, c.recording, c.order,
            v.judged, v.unmatched_reason, v.rules, v.agency, v.collector, v.debtor_id, v.debt_id, v.local_day,
            v.local_hour)


def _received(row: _Sent) -> Verdict:
    return Verdict(Call(*row[:16]), *row[16:])


def _find_parties(world: Any, calls: list[Call]) -> None:
    """For a database world: look up the parties of these calls' numbers (by keyed hash) before judging."""
    if hasattr(world, "add_numbers"):
        world.add_numbers({c.party_number for c in calls})


def _judge_all(world: Any, calls: list[Call], tick: Callable[[int], None],
               denied: Callable[[Verdict], None]) -> Tally:
    """Judge `calls` (dropping each from the list once judged: a million calls need not all stay), count every
    verdict, hand on the denied ones, and tell `tick` every `_TICK` calls how many more were judged."""
    from collectguard.replay.judge import judge_in_order

    tally = Tally()
    done = 0
    for done, (position, verdict) in enumerate(judge_in_order(world, calls), start=1):
        calls[position] = _GONE
        tally.add(verdict)
        if verdict.denied:
            denied(verdict)
        if done % _TICK == 0:
            tick(_TICK)
    if done % _TICK:
        tick(done % _TICK)
    return tally


_GONE: Any = None  # what is left in a call's place once it is judged


def _worker(index: int, n: int, paths: Sequence[str | Path], mapping: Any, queue: Any) -> None:
    """One forked worker of `replay_logs`: parse its own rows, judge them, send back the counts and the
    calls that broke a rule."""
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
        calls = read_logs(paths, mapping, errors, progress=False, keep=mine, report_unreadable=index == 0)
        _find_parties(world, calls)
        queue.put(("parsed", index, len(calls)))
        batch: list[_Sent] = []

        def denied(v: Verdict) -> None:
            nonlocal batch
            batch.append(_send(v))
            if len(batch) == _CHUNK:
                queue.put(("denied", index, batch))
                batch = []

        tally = _judge_all(world, calls, lambda k: queue.put(("judged", index, k)), denied)
        queue.put(("denied", index, batch))
        queue.put(("done", index, (tally, errors)))
    except MapError as exc:
        queue.put(("map-error", index, str(exc)))
    except BaseException:  # noqa: BLE001 — whatever it was, the parent must hear of it, not wait forever
        import traceback

        queue.put(("failed", index, traceback.format_exc()))


def replay_logs(world_source: Any, paths: Sequence[str | Path], mapping: Any, *, workers: int = 2,
                progress: bool | None = None, on_done: Callable[[int], None] | None = None) -> ReplayResult:
    """Read and judge log files (command-line order) with `workers` processes, each parsing and judging its
    own debtors' rows. Returns the counts, the denied calls in file order and the malformed rows (file
    order). Raises `mapping.MapError` when a log lacks the map's columns. `progress`: True / False / None (a
    bar only when stderr is a terminal); `on_done(n)`: told as calls are judged how many more were."""
    import queue as queue_module

    from collectguard.replay.mapping import MapError

    global _WORLD
    world = _load(world_source)
    workers = max(1, int(workers))
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        return _replay_here(world, paths, mapping, progress=progress, on_done=on_done)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    bar = _progress(progress, 0)
    if bar is not None:
        bar.update(bar.task_ids[0], total=None)  # unknown until every worker has parsed its rows
    gc_was_enabled = gc.isenabled()
    _return_free_memory()  # what loading the world left free would otherwise be copied into every worker
    gc.freeze()  # the world's objects: out of the collector's sight, so the workers do not copy their pages
    gc.disable()  # while the denied calls arrive (none is in a cycle)
    _WORLD = world
    procs = [ctx.Process(target=_worker, args=(i, workers, list(paths), mapping, queue), daemon=True)
             for i in range(workers)]
    tally, denied, errors = Tally(), list[Verdict](), list[tuple[str, int, str]]()
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
            elif kind == "denied":
                denied.extend(_received(row) for row in payload)
            elif kind == "done":
                tally.merge(payload[0])
                errors.extend(payload[1])
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
    denied.sort(key=lambda v: v.call.order)
    file_index = {str(p): i for i, p in enumerate(paths)}
    errors.sort(key=lambda e: (file_index.get(e[0], len(file_index)), e[1]))
    return ReplayResult(tally=tally, denied=denied, errors=errors)


def _return_free_memory() -> None:
    """Collect garbage and hand free heap pages back to the system (glibc's malloc_trim; elsewhere only the
    collection)."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _replay_here(world: Any, paths: Sequence[str | Path], mapping: Any, *, progress: bool | None,
                 on_done: Callable[[int], None] | None) -> ReplayResult:
    """`replay_logs` in this process: the same reading, judging and counting, without workers."""
    errors: list[tuple[str, int, str]] = []
    calls = read_logs(paths, mapping, errors, progress=progress)
    _find_parties(world, calls)
    bar = _progress(progress, len(calls))
    denied: list[Verdict] = []

    def tick(n: int) -> None:
        if bar is not None:
            bar.advance(bar.task_ids[0], n)
        if on_done is not None:
            on_done(n)

    try:
        tally = _judge_all(world, calls, tick, denied.append)
    finally:
        if bar is not None:
            bar.stop()
    denied.sort(key=lambda v: v.call.order)
    return ReplayResult(tally=tally, denied=denied, errors=errors)

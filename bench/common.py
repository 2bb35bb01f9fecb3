"""Shared helpers of the benchmark harness: progress on stderr, percentiles, ports, throwaway databases."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
_T0 = float(os.environ.setdefault("BENCH_T0", repr(time.time())))  # shared with child processes


def log(message: str) -> None:
    """Progress for humans: stderr only, with seconds since start."""
    sys.stderr.write(f"[bench {time.time() - _T0:7.1f}s] {message}\n")
    sys.stderr.flush()


def pct_ms(values: list[float], q: float) -> float:
    """The q-th percentile (1..99) of durations in seconds, in milliseconds; 0 when too few values."""
    if len(values) < 2:
        return round(values[0] * 1000, 3) if values else 0.0
    return round(statistics.quantiles(values, n=100)[int(q) - 1] * 1000, 3)


def emit(result: dict[str, Any], as_json: bool) -> None:
    """A bench's figures on stdout: one JSON object, or a `key  value` line each."""
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        width = max((len(k) for k in result), default=0) + 2
        for key, value in result.items():
            print(f"{key:{width}}{value}")


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_url(name: str = "bench.db") -> str:
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='cg-bench-')) / name}"


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a live process, in MiB; None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM: the peak resident set), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
    except OSError:
        pass
    return kids


def cpu_jiffies() -> tuple[int, int]:
    """(all, stolen) CPU time of the machine so far, in jiffies (/proc/stat; (0, 0) elsewhere): the share the
    hypervisor stole between two readings says how much of a slow run was the host, not the code."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    total = after[0] - before[0]
    return round((after[1] - before[1]) / total, 3) if total > 0 else None


class PeakMemory:
    """The peak of this process's and its children's memory together, sampled every `every` seconds while in
    a `with` block: the sum of their proportional set sizes (PSS: a page shared by two forked processes counts
    half in each), so forked workers are not counted twice for the pages they share. Linux only; `peak_mb` is
    None elsewhere."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak_kb, self.child_peak_rss_kb, self._stop = every, 0, 0, False
        self._thread: Any = None

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop:
            kids = _children(me)
            total = sum(_pss_kb(pid) for pid in (me, *kids))
            self.peak_kb = max(self.peak_kb, total)
            self.child_peak_rss_kb = max(self.child_peak_rss_kb, *(_status_kb(k, "VmHWM") for k in kids), 0)
            time.sleep(self.every)

    def __enter__(self) -> PeakMemory:
        import threading

        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join()

    @property
    def peak_mb(self) -> float | None:
        return round(self.peak_kb / 1024, 1) if self.peak_kb else None

    @property
    def child_peak_rss_mb(self) -> float | None:
        """The largest peak resident set of one child seen in the block (its shared pages counted in full)."""
        return round(self.child_peak_rss_kb / 1024, 1) if self.child_peak_rss_kb else None


def pg_reachable(url: str, timeout: float = 3.0) -> bool:
    try:
        import psycopg

        with psycopg.connect(_plain(url), connect_timeout=int(max(1, timeout)), autocommit=True):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def _plain(url: str) -> str:
    """psycopg wants `postgresql://`, not SQLAlchemy's `postgresql+psycopg://`."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def throwaway_pg(url: str) -> Iterator[str]:
    """Create `cg_bench_<random>` on the server of `url` (autocommit), yield its URL, always drop it."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"cg_bench_{secrets.token_hex(4)}"
    admin = _plain(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

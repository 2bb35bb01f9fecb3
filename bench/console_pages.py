"""Console pages at scale: every page's latency on the demo world with 10,000 debtors and a million attempts,
beside a static file of the same server measured in the same run (issue 12: p95 ≤ 300 ms on 2 cores).

    python -m bench.console_pages [--attempts N] [--debtors N] [--repeat N] [--quick] [--cache DIR] [--json]
    python -m bench.console_pages --db sqlite:///demo.db   # a world built already, measured as it is

1. The world (cached under --cache, default $TMPDIR/cg-bench-console, keyed by debtors, attempts and day): the demo
   world dated today (`load_demo`, with the gate deciding 30 days of history), grown to --attempts by copying
   those days to earlier weeks (`demo.history.grow`: attempts, ledger records, daily figures). Building a
   million takes minutes (printed); later runs reuse it.
2. `collectguard serve` on it in its own process (one worker, as on SQLite); this process is the client (http.client,
   keep-alive, one request at a time).
3. Signed in (POST /console/sign-in) as a compliance officer (demo-compliance) and as an agency operator
   (demo-agency, 青禾), it GETs every page of `collectguard.console.endpoints.BENCH_PAGES` --repeat times,
   round-robin, after one warm-up each; `{agency}`, `{collector}`, `{debtor}` are filled with the busiest ids the
   agency operator may see. Baseline: GET /console/static/console.css, the same number of times.

Per page and role: status, p50/p95/max in ms and p95 / the baseline's p95. A page over 300 ms p95 is listed.
--quick: 100,000 attempts and 10 repeats.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import free_port, log, ratio
from bench.http_load import _serve_command, _stop, _wait_ready

BUDGET_MS = 300.0
FULL_ATTEMPTS = 1_000_000
QUICK_ATTEMPTS = 100_000
DEBTORS = 10_000
ROLES = {"compliance": "demo-compliance", "agency": "demo-agency"}
STATIC = "/console/static/console.css"
TIMEOUT_S = 300  # a page slower than this fails the run


def pct_ms(values: list[float], q: float) -> float:
    """The q-th percentile of durations in seconds, in ms, never beyond the largest (inclusive quantiles: the
    exclusive ones of bench.common extrapolate past the maximum on a few samples)."""
    if len(values) < 2:
        return round(values[0] * 1000, 3) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000, 3)


# -- the world ----------------------------------------------------------------------------------------------------
def build_world(cache: Path, debtors: int, attempts: int) -> tuple[str, dict[str, Any]]:
    """The cached demo world for (debtors, attempts, today), built when missing. Returns its URL and how it
    was built (seconds per phase; empty when reused)."""
    from collectguard.db.store import Store
    from collectguard.demo.history import grow
    from collectguard.demo.organisations import build_day
    from collectguard.demo.world import load_demo

    day = build_day()
    path = cache / f"console-{debtors}-{attempts}-{day}.db"
    url = f"sqlite:///{path}"
    done = path.with_suffix(".done.json")
    if done.exists() and path.exists():
        log(f"console: reusing {path}")
        return url, {"reused": True, **json.loads(done.read_text())}
    cache.mkdir(parents=True, exist_ok=True)
    for stale in cache.glob(f"console-{debtors}-{attempts}-*"):
        stale.unlink()
    log(f"console: building the demo world ({debtors} debtors, 30 days of history) in {path}")
    t0 = time.perf_counter()
    summary = load_demo(url, debtors=debtors, start=day, history_days=30)
    t1 = time.perf_counter()
    history = summary.history
    log(f"console: world and history in {t1 - t0:.1f} s ({history.line() if history else 'no history'}); "
        f"growing to {attempts} attempts")
    store = Store(url)
    try:
        grown = grow(store, attempts, log=log)
    finally:
        store.dispose()
    t2 = time.perf_counter()
    built = {"world_and_history_s": round(t1 - t0, 1), "history_s": history.seconds if history else 0,
             "history_attempts": history.attempts if history else 0, "grow_s": round(t2 - t1, 1),
             "grown_attempts": grown.attempts, "grow_per_s": round(grown.attempts / max(t2 - t1, 1e-9)),
             "db_mb": round(path.stat().st_size / 2**20)}
    log(f"console: grown by {grown.attempts} attempts in {t2 - t1:.1f} s ({built['grow_per_s']}/s), "
        f"{built['db_mb']} MiB")
    done.write_text(json.dumps(built))
    return url, built


def counts(url: str) -> tuple[int, int]:
    """The attempts and debtors of a world."""
    from sqlalchemy import func, select

    from collectguard.db.store import Store
    from collectguard.gate.models import AttemptRow
    from collectguard.registry import models as m

    store = Store(url)
    try:
        with store.read() as session:
            return (int(session.execute(select(func.count()).select_from(AttemptRow)).scalar_one()),
                    int(session.execute(select(func.count()).select_from(m.Debtor)).scalar_one()))
    finally:
        store.dispose()


def demo_ids(url: str) -> dict[str, str]:
    """The busiest agency, collector and debtor the agency operator (青禾) may see, for the page placeholders."""
    from sqlalchemy import func, select

    from collectguard.db.store import Store
    from collectguard.demo.organisations import QINGHE
    from collectguard.gate.models import AttemptRow, DailyFigures

    store = Store(url)
    try:
        with store.read() as session:
            collector = session.execute(
                select(DailyFigures.collector_id).where(DailyFigures.org_id == QINGHE)
                .group_by(DailyFigures.collector_id).order_by(func.sum(DailyFigures.attempts).desc()).limit(1)
            ).scalar() or f"{QINGHE}-c01"
            debtor = session.execute(
                select(AttemptRow.debtor_id).where(AttemptRow.collector_id == collector)
                .group_by(AttemptRow.debtor_id).order_by(func.count().desc(), AttemptRow.debtor_id).limit(1)
            ).scalar() or "d00001"
    finally:
        store.dispose()
    return {"agency": QINGHE, "collector": collector, "debtor": debtor}


def fresh_users(url: str) -> dict[str, str]:
    """The demo users with fresh passwords (as `collectguard demo` gives them each run): username → password."""
    from datetime import UTC, datetime

    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.demo.organisations import HENGYUAN, LENDER, QINGHE
    from collectguard.demo.users import demo_users
    from collectguard.registry.unit import Units

    store = Store(url)
    try:
        with Units(store, Settings().ledger_hash).write(datetime.now(UTC)) as unit:
            return {u.username: u.password for u in demo_users(unit, LENDER, QINGHE, HENGYUAN)}
    finally:
        store.dispose()


# -- the client ---------------------------------------------------------------------------------------------------
class Browser:
    """One keep-alive connection with its cookies (path /console), one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        headers = {"Accept": "text/html", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):  # the server closed the idle connection: once
            self.conn.close()                                            # more, on a new one (a timeout is not retried)
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
        data = answer.read()
        took = time.perf_counter() - t0
        for header in answer.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer.status, data, took

    def sign_in(self, username: str, password: str) -> None:
        status, _, _ = self.request("GET", "/console/sign-in")
        if status != 200:
            raise RuntimeError(f"GET /console/sign-in answered {status}")
        form = {"username": username, "password": password, "totp_code": "",
                "presign": self.cookies.get("cg_presign", ""), "next": "/console/"}
        status, body, _ = self.request("POST", "/console/sign-in", urlencode(form))
        if status != 303:
            raise RuntimeError(f"sign-in as {username} answered {status}: {body[:300]!r}")

    def close(self) -> None:
        self.conn.close()


def bench_pages() -> list[str]:
    """The pages to time: every page module's BENCH_PAGES (the console assembles them when it is installed)."""
    from fastapi import FastAPI

    from collectguard.console import endpoints

    if not endpoints.BENCH_PAGES:
        endpoints.install(FastAPI())
    return list(endpoints.BENCH_PAGES)


def measure(port: int, users: dict[str, str], pages: list[str], ids: dict[str, str], repeat: int) -> dict[str, Any]:
    """Sign in per role, warm each page once, then `repeat` rounds over every page; the static baseline likewise."""
    browsers = {role: Browser(port) for role in ROLES}
    try:
        for role, username in ROLES.items():
            browsers[role].sign_in(username, users[username])
        paths = ["/console" + p.format(**ids) for p in pages]
        times: dict[tuple[str, str], list[float]] = {(r, p): [] for r in ROLES for p in paths}
        statuses: dict[tuple[str, str], int] = {}
        sizes: dict[tuple[str, str], int] = {}
        static: list[float] = []
        for role in ROLES:
            for path in paths:
                statuses[(role, path)], body, _ = browsers[role].request("GET", path)
                sizes[(role, path)] = len(body)
        browsers["compliance"].request("GET", STATIC)
        for n in range(repeat):
            for role in ROLES:
                for path in paths:
                    status, _, took = browsers[role].request("GET", path)
                    statuses[(role, path)] = status
                    times[(role, path)].append(took)
            _, _, took = browsers["compliance"].request("GET", STATIC)
            static.append(took)
            if n % max(1, repeat // 4) == 0:
                log(f"console: round {n + 1}/{repeat}")
        for _ in range(max(0, repeat * 3 - len(static))):  # the baseline gets a few more samples
            static.append(browsers["compliance"].request("GET", STATIC)[2])
    finally:
        for b in browsers.values():
            b.close()
    base_p50, base_p95 = pct_ms(static, 50), pct_ms(static, 95)
    rows = []
    for (role, path), values in times.items():
        p95 = pct_ms(values, 95)
        rows.append({"role": role, "page": path, "status": statuses[(role, path)], "bytes": sizes[(role, path)],
                     "p50_ms": pct_ms(values, 50), "p95_ms": p95, "max_ms": round(max(values) * 1000, 1),
                     "ratio_p95": ratio(p95, base_p95)})
    ok = [r for r in rows if r["status"] == 200]
    return {
        "console_pages": rows,
        "console_static_p50_ms": base_p50,
        "console_static_p95_ms": base_p95,
        "console_pages_worst_p95_ms": max((r["p95_ms"] for r in ok), default=0.0),
        "console_pages_worst": max(ok, key=lambda r: r["p95_ms"])["page"] if ok else None,
        "console_worst_ratio": max((r["ratio_p95"] for r in ok), default=0.0),
        "console_pages_over_budget": [f"{r['role']} {r['page']} {r['p95_ms']} ms" for r in ok
                                      if r["p95_ms"] > BUDGET_MS],
        "console_pages_not_200": [f"{r['role']} {r['page']} {r['status']}" for r in rows if r["status"] != 200],
    }


def run(attempts: int, *, debtors: int = DEBTORS, repeat: int = 20, cache: Path | None = None,
        db: str | None = None) -> dict[str, Any]:
    """Build or reuse the world (or take `db`, a demo world as it is), serve it, measure; always stop the server."""
    cache = cache or Path(tempfile.gettempdir()) / "cg-bench-console"
    url, built = (db, {"given": db}) if db else build_world(cache, debtors, attempts)
    if db:
        attempts, debtors = counts(db)
    pages = bench_pages()
    ids = demo_ids(url)
    users = fresh_users(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(url.removeprefix("sqlite:///")).with_suffix(".server.log")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as sink:
        server = subprocess.Popen([*_serve_command(url, port, 1), "--no-access-log"], stdout=sink,
                                  stderr=subprocess.STDOUT, env=env)
        try:
            _wait_ready(base, server, timeout=120)
            log(f"console: server ready on {base}; {len(pages)} pages × {len(ROLES)} roles × {repeat}")
            out = measure(port, users, pages, ids, repeat)
        finally:
            _stop(server)
    return {"console_debtors": debtors, "console_attempts": attempts, "console_repeat": repeat,
            "console_ids": ids, "console_build": built, **out}


def table(out: dict[str, Any]) -> str:
    lines = [f"Console pages — {out['console_debtors']} debtors, {out['console_attempts']} attempts, "
             f"{out['console_repeat']} requests per page and role; baseline GET {STATIC}: "
             f"p50 {out['console_static_p50_ms']} ms, p95 {out['console_static_p95_ms']} ms",
             f"{'role':<11}{'page':<58}{'status':>7}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'p95/base':>10}"]
    for r in out["console_pages"]:
        lines.append(f"{r['role']:<11}{r['page'][:57]:<58}{r['status']:>7}{r['p50_ms']:>10}{r['p95_ms']:>10}"
                     f"{r['max_ms']:>10}{r['ratio_p95']:>10}")
    lines.append(f"worst p95 {out['console_pages_worst_p95_ms']} ms ({out['console_pages_worst']}); budget {BUDGET_MS:g} ms; "
                 f"over budget: {out['console_pages_over_budget'] or 'none'}")
    if out["console_pages_not_200"]:
        lines.append(f"not 200: {out['console_pages_not_200']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.console_pages", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, help=f"attempts in the world (default {FULL_ATTEMPTS:,}; "
                                                     f"--quick {QUICK_ATTEMPTS:,})")
    parser.add_argument("--debtors", type=int, default=DEBTORS)
    parser.add_argument("--repeat", type=int, help="requests per page and role (default 20; --quick 10)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cache", type=Path, help="where built worlds are kept (default $TMPDIR/cg-bench-console)")
    parser.add_argument("--rebuild", action="store_true", help="build the world again even if cached")
    parser.add_argument("--db", help="measure this demo world as it is (built by load_demo), building nothing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    attempts = args.attempts or (QUICK_ATTEMPTS if args.quick else FULL_ATTEMPTS)
    cache = args.cache or Path(tempfile.gettempdir()) / "cg-bench-console"
    if args.rebuild:
        for built in cache.glob("console-*"):
            built.unlink()
    out = run(attempts, debtors=args.debtors, repeat=args.repeat or (10 if args.quick else 20), cache=cache,
              db=args.db)
    sys.stdout.write((json.dumps(out, ensure_ascii=False) if args.json else table(out)) + "\n")
    return out


if __name__ == "__main__":
    main()

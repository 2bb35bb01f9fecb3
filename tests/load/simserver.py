"""Test launcher: the CollectGuard app on an accelerated, restart-proof clock (tests only).

    python -m tests.load.simserver --port P        # or: uvicorn tests.load.simserver:create --factory

(The tests start it with `serve`, in a process forked from a forkserver that has imported the app once,
which saves the seconds of imports on each of the many starts and restarts.)

The app is `collectguard.api.app.create_app` unchanged; only the clock and two test-only hooks differ.
Everything is read from the environment, so a server restarted with the same environment continues the
same simulated timeline:

    COLLECTGUARD_DB      the database URL (as for `collectguard serve`)
    SIM_START            ISO time the simulated timeline starts at (aware, e.g. 2026-05-20T08:00:00+08:00)
    SIM_REAL_EPOCH       Unix time (float) at which the simulated clock read SIM_START
    SIM_SPEED            simulated seconds per real second (default 1)
    SIM_IDEM_STALE_S     optional: seconds after which an in-progress Idempotency-Key left by a crash is
                         taken over (the product's STALE_AFTER, 60 s); lets a crash test retry sooner
    SIM_SQLITE_CONTROL   optional: a JSON file {"max_page_count": N | null, "query_only": bool}; re-read on
                         every connection checkout when it changed, and applied to that SQLite connection.
                         It is the fallback that makes the server see a full (max_page_count) or read-only
                         (query_only) database where the test machine cannot mount a small or read-only
                         file system. SQLite reports the same errors (SQLITE_FULL, SQLITE_READONLY) as for
                         a real full or read-only disk.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine

ENV_START = "SIM_START"
ENV_EPOCH = "SIM_REAL_EPOCH"
ENV_SPEED = "SIM_SPEED"
ENV_STALE = "SIM_IDEM_STALE_S"
ENV_CONTROL = "SIM_SQLITE_CONTROL"


def sim_clock(start: datetime, real_epoch: float, speed: float) -> Callable[[], datetime]:
    """start + (now - real_epoch) × speed: the same function in the server, after a restart, and in the test."""
    if start.tzinfo is None:
        raise ValueError("SIM_START must be timezone-aware")

    def clock() -> datetime:
        return start + timedelta(seconds=(time.time() - real_epoch) * speed)

    return clock


def clock_from_env(env: dict[str, str] | os._Environ[str] = os.environ) -> Callable[[], datetime]:
    return sim_clock(datetime.fromisoformat(env[ENV_START]), float(env[ENV_EPOCH]), float(env.get(ENV_SPEED, "1")))


class SqliteControl:
    """Applies the control file's pragmas to each SQLite connection at checkout, when the file changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp: tuple[int, int] | None = None
        self.settings: dict[str, Any] = {}
        self.version = 0

    def current(self) -> int:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            stamp = (0, 0)
        else:
            stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self.stamp:
            self.stamp = stamp
            try:
                self.settings = json.loads(self.path.read_text() or "{}") if stamp != (0, 0) else {}
            except (OSError, ValueError):
                self.settings = {}
            self.version += 1
        return self.version

    def attach(self, engine: Engine) -> None:
        @event.listens_for(engine, "checkout")
        def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
            version = self.current()
            if record.info.get("sim_control") == version:
                return
            cursor = dbapi_connection.cursor()
            try:
                # max_page_count cannot go below the current size: a tiny number means "full now".
                pages = self.settings.get("max_page_count")
                cursor.execute(f"PRAGMA max_page_count = {int(pages) if pages else 4294967294}")
                cursor.execute(f"PRAGMA query_only = {1 if self.settings.get('query_only') else 0}")
            finally:
                cursor.close()
            record.info["sim_control"] = version


def create() -> FastAPI:
    """The app factory (`uvicorn --factory`)."""
    from collectguard.api import idempotency
    from collectguard.api.app import create_app
    from collectguard.config import Settings

    if os.environ.get(ENV_STALE):
        idempotency.STALE_AFTER = timedelta(seconds=float(os.environ[ENV_STALE]))
    settings = Settings.from_env()
    app = create_app(settings.db_url, migrate=False, clock=clock_from_env(), algorithm=settings.ledger_hash)
    control = os.environ.get(ENV_CONTROL)
    if control:
        store = app.state.store
        if store.dialect != "sqlite":
            raise RuntimeError(f"{ENV_CONTROL} applies to SQLite only")
        hooks = SqliteControl(Path(control))
        hooks.attach(store.engine)
        if store.read_engine is not store.engine:
            hooks.attach(store.read_engine)
    return app


def serve(port: int, env: dict[str, str], log_path: str, host: str = "127.0.0.1", access_log: bool = False) -> None:
    """A server in a process of its own, forked from a process that already imported everything (see
    harness.Server): its environment, its output into `log_path`, then uvicorn on the app factory."""
    import sys

    import uvicorn

    from collectguard.api.logconfig import log_config

    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    uvicorn.run("tests.load.simserver:create", factory=True, host=host, port=port, log_config=log_config("INFO"),
                access_log=access_log, timeout_graceful_shutdown=3)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from collectguard.api.logconfig import log_config

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--access-log", action="store_true", help="log every request (off: less CPU under load)")
    args = parser.parse_args(argv)
    uvicorn.run("tests.load.simserver:create", factory=True, host=args.host, port=args.port,
                log_config=log_config("INFO"), access_log=args.access_log, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()

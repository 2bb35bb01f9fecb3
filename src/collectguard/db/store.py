"""Engine and transactions. Writers are serialised per debtor: a row lock on PostgreSQL,
`BEGIN IMMEDIATE` on SQLite (one writer at a time). Services never commit; `Store.transaction` does."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from collectguard.errors import Unavailable
from collectguard.privacy.keys import ENV_KEY_FILE, ENV_KEYS, Keyring


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str, *, immediate: bool = True, synchronous: str = "FULL", **kwargs: Any) -> Engine:
    """An engine. On SQLite every transaction of a writing engine begins IMMEDIATE (one writer at a time);
    a reading engine (`immediate=False`) begins deferred, so readers never wait for the write lock (WAL).

    SQLite runs with `synchronous=FULL`: in WAL mode that syncs the log at every commit, so a decision the
    gate has answered (an allow and its lease) survives a power loss, not only a crash of the process.
    `NORMAL` syncs only at checkpoints and can roll the last commits back; the benchmark measures it beside
    FULL (docs/performance.md) and nothing else should ask for it."""
    url = normalise_url(url)
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {SQLITE_SYNCHRONOUS}, not {synchronous!r}")
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            poolclass=StaticPool if memory else None,
            **kwargs,
        )
        _sqlite_setup(engine, wal=not memory, immediate=immediate, synchronous=synchronous,
                      path=None if memory else make_url(url).database)
        return engine
    # A server that does not answer must not hang the request: fail the connect (503) after a while.
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40, **kwargs)


def _sqlite_setup(engine: Engine, *, wal: bool, immediate: bool, synchronous: str = "FULL",
                  path: str | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if path and not os.access(path, os.W_OK) and os.path.exists(path):
            # SQLite would open the file read-only and keep the WAL index read-only for as long as any
            # connection of this process has it open, so the store would never write again, even once
            # the disk is writable. Refuse the connection instead (503): the next one, after the disk is
            # writable again, is a normal one.
            dbapi_connection.close()
            raise sqlite3.OperationalError(f"attempt to write a readonly database ({path} is not writable)")
        # Let SQLAlchemy, not the driver, emit BEGIN, so that it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # FULL: an acknowledged commit survives a power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def default_keyring(url: str) -> Keyring:
    """Keys for personal data at rest: COLLECTGUARD_KEY_FILE / COLLECTGUARD_KEYS when set; else, for a
    SQLite file, a key file beside it (created once, mode 0600); an in-memory SQLite database gets
    throwaway keys. A server database without configured keys is refused: its data would be unreadable."""
    if os.environ.get(ENV_KEY_FILE) or os.environ.get(ENV_KEYS):
        return Keyring.load()
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if not parsed.database or parsed.database == ":memory:":
            return Keyring.generate()
        key_file = Path(f"{parsed.database}.keys.json")
        if not key_file.exists():
            Keyring.generate().save(key_file)
        return Keyring.from_file(key_file)
    return Keyring.load()  # raises a clear KeyringError


class Store:
    """A database, its sessions, and the keyring for personal data at rest."""

    def __init__(self, url: str, *, keyring: Keyring | None = None, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.keyring = keyring or default_keyring(self.url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True,
                                     info={"keyring": self.keyring})
        # Reads that write nothing (authentication, scope checks, listings) need no write lock on SQLite;
        # an in-memory database has one connection, so it keeps one engine.
        memory = self.url in ("sqlite://", "sqlite:///:memory:")
        self.read_engine = (
            make_engine(self.url, immediate=False, **engine_kwargs)
            if self.url.startswith("sqlite") and not memory else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False,
                                          info={"keyring": self.keyring})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self._session(self.sessions) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite it does not take the write lock. Write nothing in it."""
        with self._session(self.read_sessions) as session:
            yield session

    @contextmanager
    def _session(self, factory: sessionmaker[Session]) -> Iterator[Session]:
        try:
            session = factory()
        except OperationalError as exc:  # pragma: no cover - connection refused
            raise Unavailable("数据库不可用", "database unavailable", code="db-unavailable") from exc
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            # The database is down, restarting, full or read-only (OperationalError), or the connection
            # was lost under us: the caller may retry. Anything else (integrity, programming) is a bug.
            if not (isinstance(exc, OperationalError) or exc.connection_invalidated):
                raise
            raise Unavailable(
                "数据库暂不可用，请重试", f"database unavailable, retry: {exc.orig}", code="db-unavailable"
            ) from exc
        finally:
            session.close()

    def lock(self, session: Session, column: Any, key: str) -> None:
        """Serialise writers on one row (e.g. a debtor). SQLite's BEGIN IMMEDIATE already did."""
        if self.dialect == "postgresql":
            session.execute(select(column).where(column == key).with_for_update())

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

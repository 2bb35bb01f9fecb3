"""Shared fixtures: every store-backed test runs on SQLite and on PostgreSQL.

PostgreSQL: COLLECTGUARD_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) is the admin
connection; a throwaway database is created per test run (and per xdist worker) and dropped after.
Without PostgreSQL those tests skip on a laptop with a clear message, and fail in CI (CI is set).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from collectguard.db.migrate import upgrade
from collectguard.db.models import metadata
from collectguard.db.store import Store
from collectguard.ledger.service import seed_head
from collectguard.privacy.keys import ENV_KEYS, Keyring

# Personal data is encrypted at rest: every store in the tests shares one throwaway keyring.
os.environ.setdefault(ENV_KEYS, json.dumps(Keyring.generate().to_dict()))

ADMIN_URL = os.environ.get("COLLECTGUARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _pg_unavailable_reason() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {ADMIN_URL} ({str(exc).strip().splitlines()[0]})"


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    reason = _pg_unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must test PostgreSQL, so this fails instead of skipping")
        pytest.skip(f"{reason}; PostgreSQL tests skipped on this machine (set COLLECTGUARD_TEST_PG)")
    yield from _fresh_pg_database(worker_id)


def _fresh_pg_database(worker_id: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database for as long as the generator runs; dropped (forcibly) after."""
    name = f"cg_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def own_pg_url(pg_url: str, worker_id: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, which no connection left open by an earlier test can reach: for a
    test that needs to know every transaction in its database (VACUUM keeps what an open snapshot still sees)."""
    yield from _fresh_pg_database(worker_id)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _empty_pg(url: str) -> None:
    store = Store(url)
    try:
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        with store.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            seed_head(conn)  # as migration 0012 left it
    finally:
        store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "cg.db"
        target.write_bytes(sqlite_template.read_bytes())
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_url")
    _empty_pg(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.dispose()

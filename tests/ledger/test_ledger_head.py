"""The ledger head row comes from the migration, never from the first append (issue 10, item 5).

Before, the first append on a fresh database inserted the head row: two first appenders (two workers of
`serve` on PostgreSQL) found no row to lock, both inserted it, and one failed on the primary key.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, select

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.errors import Unavailable
from collectguard.ledger.chain import GENESIS
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import append, verify
from tests.conftest import ADMIN_URL
from tests.factories import at
from tests.waiting import WAIT_S, until_waiting


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database just created and migrated — nothing emptied or seeded by the tests' own fixtures."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        upgrade(url)
        yield url
        return
    request.getfixturevalue("pg_url")  # skips (or fails in CI) like every PostgreSQL test when there is none
    name = f"cg_fresh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _append(store: Store, subject: str) -> int:
    with store.transaction() as session:
        record = append(session, kind="gate:attempt:outcome", subject=subject, at=at("2026-05-20 09:00"),
                        payload={"connected": False}, institution_id="bank")
        session.flush()
        return int(record.seq)


def test_a_fresh_database_has_its_ledger_head_from_the_migration(fresh_url):
    store = Store(fresh_url)
    try:
        with store.read() as session:
            head = session.execute(select(LedgerHead)).scalars().all()
            assert [(h.id, h.seq, h.hash) for h in head] == [(1, 0, GENESIS)]
            assert verify(session).ok
    finally:
        store.dispose()


def test_two_first_appends_on_a_fresh_database_both_land(fresh_url):
    """The first appender holds the head's row lock; the second waits for it, then follows with seq 2."""
    first, second = Store(fresh_url), Store(fresh_url)
    box: dict[str, Any] = {}

    def later() -> None:
        try:
            box["seq"] = _append(second, "a2")
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    try:
        with first.transaction() as session:
            append(session, kind="gate:attempt:outcome", subject="a1", at=at("2026-05-20 09:00"),
                   payload={"connected": False}, institution_id="bank")
            session.flush()
            thread = threading.Thread(target=later)
            thread.start()
            until_waiting(first, 1)
        thread.join(WAIT_S)
        assert not thread.is_alive()
        assert "error" not in box, box.get("error")
        assert box["seq"] == 2
        with first.read() as session:
            result = verify(session)
        assert result.ok and result.count == 2
    finally:
        first.dispose(), second.dispose()


def test_an_append_never_makes_a_missing_head_it_says_so_and_writes_nothing(store):
    with store.transaction() as session:
        session.execute(delete(LedgerHead))
    with pytest.raises(Unavailable) as err:
        _append(store, "a1")
    assert err.value.code == "ledger-head-missing" and err.value.status == 503
    assert "db upgrade" in err.value.message_en and "db upgrade" in err.value.message_zh
    with store.read() as session:
        assert session.execute(select(LedgerRecord)).first() is None
        assert session.execute(select(LedgerHead)).first() is None

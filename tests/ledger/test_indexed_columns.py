"""Every indexed column — the ones the API reports and filters on — must say what the hashed body says: a
changed `at`, `recorded_at`, `institution_id`, `kind`, `subject` or `seq` fails plain verification, serially
and in worker processes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from collectguard.db.store import Store
from collectguard.ledger.chain import canonical, digest
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import verify
from tests.factories import at
from tests.ledger.tampering import HEAD, RECORDS, edit, fill, set_column


def _verify(store: Store, workers: int = 1):
    with store.read() as s:
        return verify(s, workers=workers)


def _row(store: Store, seq: int):
    with store.read() as s:
        return s.execute(select(LedgerRecord).where(LedgerRecord.seq == seq)).scalar_one()


@pytest.fixture(params=[1, 3], ids=["serial", "3-workers"])
def workers(request) -> int:
    return request.param


def test_the_body_hashes_recorded_at_too(store):
    fill(store, 2)
    row = _row(store, 2)
    assert f'"recorded":"{row.recorded_at.isoformat().replace("+00:00", "Z")}"' in row.body
    assert _verify(store).ok


def test_a_moved_at_column_is_found(store, workers):
    fill(store, 6)
    row = _row(store, 4)
    set_column(store, 4, at=row.at + timedelta(days=30))  # out of the window an auditor filters on
    result = _verify(store, workers)
    assert not result.ok and result.broken_seq == 4 and "at column" in result.reason


@pytest.mark.parametrize("column, value", [
    ("recorded_at", at("2027-01-01 00:00")),
    ("institution_id", "bank2"),
    ("kind", "gate:attempt:decided"),
    ("subject", "someone-else"),
])
def test_every_other_indexed_column_is_bound_to_the_body(store, column, value):
    fill(store, 6)
    set_column(store, 3, **{column: value})
    result = _verify(store)
    assert not result.ok and result.broken_seq == 3, (column, result)
    assert "disagree" in result.reason


def test_a_moved_seq_is_found(store):
    fill(store, 6)
    edit(store, lambda conn: conn.exec_driver_sql("UPDATE ledger_records SET seq = 100 WHERE seq = 6"))
    edit(store, lambda conn: conn.exec_driver_sql("UPDATE ledger_head SET seq = 100"))
    result = _verify(store)
    assert not result.ok and result.broken_seq == 6


def test_on_sqlite_an_at_rewritten_as_other_text_for_the_same_instant_is_found(store):
    """SQLite compares the stored text in the API's since/until filters: '2026-05-20T01:01:00…' reads back as the
    same instant but sorts after every '2026-05-20 …', hiding the record from that day's filter. The stored text
    itself is checked."""
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL stores a timestamptz, not text")
    fill(store, 3)
    edit(store, lambda conn: conn.exec_driver_sql(
        "UPDATE ledger_records SET at = replace(at, ' ', 'T') WHERE seq = 2"))
    assert _row(store, 2).at == _row(store, 1).at + timedelta(minutes=1)  # read back: the same instant
    result = _verify(store)
    assert not result.ok and result.broken_seq == 2 and "at column" in result.reason


def test_records_written_before_recorded_at_was_hashed_still_verify(store):
    """A ledger from before this version: bodies without "recorded". They verify; `at` is still bound."""
    when = at("2026-05-20 09:00")

    def legacy(conn) -> None:
        prev = "0" * 64
        for seq in (1, 2):
            body = canonical({"seq": seq, "kind": "gate:attempt:outcome", "subject": f"a{seq}", "institution": "bank",
                              "at": when, "alg": "sm3", "payload": {"connected": False}})
            h = digest("sm3", prev, body)
            conn.execute(insert(RECORDS).values(seq=seq, kind="gate:attempt:outcome", subject=f"a{seq}",
                                                institution_id="bank", at=when, recorded_at=when, body=body,
                                                prev_hash=prev, hash=h))
            prev = h
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=2, hash=prev))  # the head from migration 0012

    edit(store, legacy)
    fill(store, 2, first=2)  # then new records, hashed with their recorded time
    assert _verify(store).ok
    set_column(store, 1, at=when + timedelta(hours=1))
    assert _verify(store).broken_seq == 1
    with store.read() as s:
        assert s.get(LedgerHead, 1).seq == 4

"""The ledger proves itself untampered: altered, deleted, reordered, inserted or truncated records are found."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.chain import canonical, digest
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from tests.factories import at, build
from tests.ledger.tampering import edit


def _fill(store: Store, algorithm: str = "sm3") -> int:
    build(store, algorithm=algorithm)
    gate = Gate(store, algorithm=algorithm)
    for i in range(5):
        a = AttemptIn(id=f"a{i}", collector="bot1", debt="loan1", party="d1", channel="voice", mode="notification",
                      tool="tel", template="t-voice")
        gate.decide(a, at(f"2026-05-20 1{i}:00"))
        gate.record_outcome(OutcomeIn(attempt=f"a{i}", connected=False), at(f"2026-05-20 1{i}:01"))
    with store.transaction() as s:
        return verify(s).count


def _tamper(store: Store, *sql: str) -> None:
    """What an attacker with database access does: drop the append-only guard, then edit."""

    def run(conn) -> None:
        for statement in sql:
            conn.exec_driver_sql(statement)

    edit(store, run)


def _verify(store: Store, workers: int = 1):
    with store.transaction() as s:
        return verify(s, workers=workers)


@pytest.fixture(params=[1, 3], ids=["serial", "3-workers"])
def workers(request) -> int:
    """Serially, and split into ranges verified by three worker processes (as large ledgers are)."""
    return request.param


@pytest.mark.parametrize("algorithm", ["sm3", "sha256"])
def test_an_untouched_ledger_verifies(store, workers, algorithm):
    count = _fill(store, algorithm)
    result = _verify(store, workers)
    assert result.ok and result.count == count and len(result.head_hash) == 64


def test_the_ledger_is_append_only_in_the_database(store):
    _fill(store)
    with pytest.raises(Exception, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE ledger_records SET kind = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_records WHERE seq = 1"))


def test_an_altered_record_is_found(store, workers):
    _fill(store)
    with store.transaction() as s:
        seq = s.execute(text("SELECT min(seq) FROM ledger_records WHERE kind = 'gate:attempt:outcome'")).scalar_one()
    _tamper(store, f"UPDATE ledger_records SET body = replace(body, '\"connected\":false', '\"connected\":true') WHERE seq = {seq}")
    result = _verify(store, workers)
    assert not result.ok and result.broken_seq == seq and "altered" in result.reason


def test_a_deleted_record_is_found(store, workers):
    _fill(store)
    _tamper(store, "DELETE FROM ledger_records WHERE seq = 7")
    result = _verify(store, workers)
    assert not result.ok and result.broken_seq == 7 and "missing" in result.reason


def test_reordered_records_are_found(store, workers):
    _fill(store)
    _tamper(
        store,
        "UPDATE ledger_records SET seq = -1 WHERE seq = 5",
        "UPDATE ledger_records SET seq = 5 WHERE seq = 6",
        "UPDATE ledger_records SET seq = 6 WHERE seq = -1",
    )
    result = _verify(store, workers)
    assert not result.ok and result.broken_seq == 5


def test_an_inserted_record_is_found_even_when_its_own_hash_is_right(store, workers):
    _fill(store)
    with store.transaction() as s:
        row = s.execute(select(LedgerRecord.prev_hash, LedgerRecord.at, LedgerRecord.recorded_at)
                        .where(LedgerRecord.seq == 3)).one()
    body = canonical({"seq": 3, "kind": "gate:attempt:decided", "subject": "forged", "institution": "bank",
                      "at": row.at, "recorded": row.recorded_at, "alg": "sm3", "payload": {}})
    forged_hash = digest("sm3", row.prev_hash, body)
    _tamper(store, "UPDATE ledger_records SET seq = seq + 1000 WHERE seq >= 3")
    with store.engine.begin() as conn:
        conn.execute(insert(LedgerRecord.__table__).values(
            seq=3, kind="gate:attempt:decided", subject="forged", institution_id="bank", at=row.at,
            recorded_at=row.recorded_at, body=body, prev_hash=row.prev_hash, hash=forged_hash))
    result = _verify(store, workers)
    assert not result.ok and result.broken_seq == 4


def test_a_truncated_tail_is_found(store, workers):
    count = _fill(store)
    _tamper(store, f"DELETE FROM ledger_records WHERE seq = {count}")
    result = _verify(store, workers)
    assert not result.ok and "truncated" in result.reason


def test_cli_verify_prints_count_and_head_or_the_broken_record(store, db_url):
    count = _fill(store)
    runner = CliRunner()
    ok = runner.invoke(app, ["ledger", "verify", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert f"{count} records" in ok.output
    _tamper(store, "UPDATE ledger_records SET body = body || ' ' WHERE seq = 2")
    bad = runner.invoke(app, ["ledger", "verify", "--db", db_url])
    assert bad.exit_code == 1
    assert "record 2" in bad.output

"""THE purge test (issue 13): a world with distinctive personal data pushed through the flows, purged by
`collectguard retention run`, then `collectguard ledger verify` passes over the whole chain, and a scan of the raw
bytes (the SQLite file and its WAL; on PostgreSQL a COPY of every table) finds none of the purged names, phones,
ID numbers, addresses, complainant's details, nor the encrypted tokens and keyed hashes stored before the purge.
The debtor whose debt is still open keeps his data."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from collectguard.api.models import IdempotencyRow
from collectguard.cli import app
from collectguard.complaints.models import Complaint
from collectguard.db.models import metadata
from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.qa.storage import QaCallRow
from collectguard.registry import models as m
from collectguard.registry.personal import read_personal
from collectguard.retention.models import DeletionLogEntry
from tests.retention.world import KEPT, live, needles, secrets_of

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output


def raw_bytes(db_url: str) -> dict[str, bytes]:
    """Every byte the database keeps: the SQLite file and its -wal; on PostgreSQL every table's COPY."""
    if db_url.startswith("sqlite"):
        path = Path(make_url(db_url).database or "")
        return {p.name: p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()}
    out: dict[str, bytes] = {}
    plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        for table in metadata.sorted_tables:
            buf = bytearray()
            with cur.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                for chunk in copy:
                    buf += bytes(chunk)
            out[table.name] = bytes(buf)
    return out


def found(blobs: dict[str, bytes], wanted: dict[str, bytes]) -> list[str]:
    return sorted(f"{what} in {where}" for what, needle in wanted.items() for where, blob in blobs.items()
                  if needle in blob)


def test_purge_then_the_chain_verifies_and_no_purged_byte_survives(db_url):
    made = live(db_url)
    store = Store(db_url)
    before = secrets_of(store, ["d1", made["api_debtor"]])
    kept_before = secrets_of(store, ["d2"])
    with store.read() as session:
        assert session.execute(select(IdempotencyRow.key)).scalars().all() == ["reg-1"]
    store.dispose()
    wanted = needles(before)
    # Before the purge the scan finds them (so the scan can find what it looks for).
    assert found(raw_bytes(db_url), {k: v for k, v in wanted.items() if k.startswith("stored:")})

    plan = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱", "--dry-run",
                          "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", db_url))
    assert sorted(plan["debtors"]) == sorted(["d1", made["api_debtor"]]) and plan["dry_run"]
    # d1 settled 2026-05-25 10:00 (Shanghai): the default 5 years end at 2031-05-25 10:00 exactly, not before.
    for when, expected in (("2031-05-25T09:59:59+08:00", []), ("2031-05-25T10:00:00+08:00", ["d1"])):
        early = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱", "--dry-run",
                               "--at", when, "--json", "--db", db_url))
        assert early["debtors"] == expected, when

    out = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                         "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", db_url))
    assert out["count"] == 2 and out["entries"] == 2 and out["vacuum"].startswith(("sqlite", "postgresql"))

    verified = json.loads(cli("ledger", "verify", "--json", "--db", db_url))
    assert verified["ok"] is True and verified["count"] > 20

    leftovers = found(raw_bytes(db_url), wanted)
    assert leftovers == []

    store = Store(db_url)
    try:
        with store.read() as session:
            d1 = session.get(m.Debtor, "d1")
            assert read_personal(d1) == {"name": None, "phone": None, "id_number": None, "address": None}
            assert (d1.phone_index, d1.id_number_index) == (None, None)
            assert read_personal(session.get(m.Debtor, "d2"))["name"] == KEPT["name"]  # an open debt: kept
            assert secrets_of(store, ["d2"]) == kept_before
            call = session.execute(select(QaCallRow)).scalars().one()
            assert call.turns == [] and all("evidence" not in f for f in call.findings)
            assert [f["rule"] for f in call.findings] == ["art16-etiquette"]  # what was found stays
            complaint = session.get(Complaint, "cp1")
            assert complaint.erased_at is not None and complaint.status == "resolved"
            log = {e.subject_id: e for e in session.execute(select(DeletionLogEntry)).scalars()}
            assert set(log) == {"d1", made["api_debtor"]}
            assert set(log["d1"].kinds) >= {"name", "phone", "id_number", "address", "contact.name", "contact.phone",
                                            "transcript", "hold_note", "complaint.name", "complaint.phone"}
            assert log["d1"].reason == "retention_expired" and log["d1"].approved_by == "合规 钱"
            cached = session.execute(select(IdempotencyRow.key)).scalars().all()
            assert cached == []  # the answer kept for a retry of the API debtor's registration named him
            record = session.get(LedgerRecord, log["d1"].ledger_seq)
            assert record.kind == "retention:personal-data:deleted" and record.subject == "d1"
    finally:
        store.dispose()

    again = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                           "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", db_url))
    assert again["count"] == 0  # purged debtors are not purged twice


def table_files(db_url: str) -> dict[str, bytes] | None:
    """PostgreSQL's own files of every table, index and TOAST table of the database, after a CHECKPOINT (None when
    this process cannot read the server's data directory: another machine, or not its owner)."""
    plain = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        data = Path(conn.execute("SHOW data_directory").fetchone()[0])  # type: ignore[index]
        rels = conn.execute("SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pg_toast') "
                            "AND c.relkind IN ('r', 'i', 't')").fetchall()
        conn.execute("CHECKPOINT")
    out: dict[str, bytes] = {}
    try:
        for name, rel in rels:
            if rel is None:
                continue
            base = data / rel
            for part in [base, *base.parent.glob(f"{base.name}.*")]:
                if part.exists():
                    out[f"{name}:{part.name}"] = part.read_bytes()
    except PermissionError:
        return None
    return out


def _readable_table_files(db_url: str) -> dict[str, bytes] | None:
    try:
        return table_files(db_url)
    except OSError:
        return None


@pytest.mark.postgres
def test_on_postgresql_vacuum_full_leaves_no_purged_byte_in_the_table_files(own_pg_url):
    """A plain VACUUM leaves dead rows' bytes in free space; the purge's default VACUUM FULL rewrites the tables.
    In a database of its own: a connection an earlier test left in a transaction would keep old row versions
    visible, and VACUUM FULL copies what a snapshot can still see (the run says so: see the next test)."""
    db_url = own_pg_url
    if _readable_table_files(db_url) is None:
        pytest.skip("the server's data directory is not readable from here")
    made = live(db_url)
    store = Store(db_url)
    wanted = needles(secrets_of(store, ["d1", made["api_debtor"]]))
    store.dispose()
    assert found(table_files(db_url) or {}, wanted)  # the scan sees them before
    out = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                         "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", db_url))
    assert out["count"] == 2 and "VACUUM FULL" in out["vacuum"]
    assert found(table_files(db_url) or {}, wanted) == [], out["vacuum"]


@pytest.mark.parametrize("years", [0, 1])
def test_a_retention_shorter_than_two_years_is_refused_from_the_command_line(db_url, years):
    live(db_url)
    result = runner.invoke(app, ["retention", "policy", "--institution", "bank", "--years", str(years), "--db", db_url])
    assert result.exit_code == 2
    shown = json.loads(cli("retention", "policy", "--institution", "bank", "--json", "--db", db_url))
    assert (shown["years"], shown["default"]) == (5, True)


@pytest.mark.postgres
def test_a_purge_says_when_an_open_transaction_keeps_old_row_versions(own_pg_url):
    """Another connection in a transaction (a snapshot taken before the purge) keeps the old versions it can see:
    the run reports it rather than claiming the bytes are gone."""
    live(own_pg_url)
    plain = make_url(own_pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as reader:
        # a repeatable-read transaction holds its snapshot until it ends; it reads a table the purge does not
        # compact (a lock on one would only make the VACUUM FULL wait for it)
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        reader.execute("SELECT count(*) FROM ledger_records").fetchone()
        started = time.monotonic()
        out = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                             "--at", "2031-06-01T00:00:00+08:00", "--vacuum-wait", "0.5", "--json",
                             "--db", own_pg_url))
        assert out["count"] == 2 and "1 other open transaction(s)" in out["vacuum"]
        assert time.monotonic() - started >= 0.5  # it waited for the reader first
    # once it has ended, running again compacts with nothing in the way
    again = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                           "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", own_pg_url))
    assert again["count"] == 0


@pytest.mark.postgres
def test_a_purge_waits_for_transactions_that_keep_the_old_rows_then_compacts(own_pg_url, pg_url):
    """Two transactions older than the purge end a moment later: a snapshot in the purged database (another
    session's, or an autovacuum worker's ANALYZE), and a write in another database of the server (it is in the
    VACUUM FULL's own snapshot, which would keep every row it replaced). The compact waits for both, so VACUUM
    FULL drops the old row versions and the run reports nothing open."""
    made = live(own_pg_url)
    store = Store(own_pg_url)
    wanted = needles(secrets_of(store, ["d1", made["api_debtor"]]))
    store.dispose()

    def plain(url: str) -> str:
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    reader = psycopg.connect(plain(own_pg_url))
    reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    reader.execute("SELECT count(*) FROM ledger_records").fetchone()  # its snapshot is older than the purge
    writer = psycopg.connect(plain(pg_url))  # the shared test database: another database of the same server
    writer.execute("SELECT pg_current_xact_id()").fetchone()  # a transaction id, as any write takes one
    ending = threading.Timer(1.5, lambda: (reader.close(), writer.close()))
    ending.start()
    try:
        started = time.monotonic()
        out = json.loads(cli("retention", "run", "--institution", "bank", "--approved-by", "合规 钱",
                             "--at", "2031-06-01T00:00:00+08:00", "--json", "--db", own_pg_url))
    finally:
        ending.join()
    assert out["count"] == 2 and "open transaction" not in out["vacuum"], out["vacuum"]
    assert time.monotonic() - started >= 1.0
    files = _readable_table_files(own_pg_url)
    if files is not None:
        assert found(files, wanted) == []

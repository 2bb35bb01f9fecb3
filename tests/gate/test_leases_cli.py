"""`collectguard leases expire` sweeps once (each expiry a ledger record with its institution); `leases
missing` lists the missing outcomes per collector, for one institution (optionally one agency's collectors)."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from collectguard.cli import app as cli
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from tests.factories import at, build, voice_call

run = CliRunner().invoke
DAY = ["--since", "2026-05-20T00:00:00+08:00", "--until", "2026-05-21T00:00:00+08:00"]


def test_expire_then_list_missing_outcomes(store, db_url):
    build(store)
    gate = Gate(store)
    for ident, collector in (("a0", "bot1"), ("a1", "bot1"), ("v1", "c1")):
        assert gate.decide(voice_call(ident, collector=collector), at("2026-05-20 09:00")).allowed
    gate.record_outcome(OutcomeIn(attempt="a1", connected=True, duration_s=30), at("2026-05-20 09:02"))
    gate.close()
    early = run(cli, ["leases", "expire", "--at", "2026-05-20T09:05:00+08:00", "--db", db_url])
    assert early.exit_code == 0 and "expired 0 leases" in early.output
    out = run(cli, ["leases", "expire", "--at", "2026-05-20T10:00:00+08:00", "--batch", "1", "--db", db_url])
    assert out.exit_code == 0 and "expired 2 leases" in out.output, out.output
    with store.transaction() as session:
        states = dict(session.execute(select(AttemptRow.id, AttemptRow.lease_state)).all())
        expired = session.execute(select(LedgerRecord.subject, LedgerRecord.institution_id)
                                  .where(LedgerRecord.kind == "gate:lease:expired")).all()
    assert states == {"a0": "expired", "a1": "consumed", "v1": "expired"}
    assert sorted(expired) == [("a0", "bank"), ("v1", "bank")]
    listed = run(cli, ["leases", "missing", "--institution", "bank", *DAY, "--json", "--db", db_url])
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.output)
    assert body["total"] == 2
    assert [(c["collector"], c["attempts"]) for c in body["collectors"]] == [("bot1", ["a0"]), ("c1", ["v1"])]
    agency = run(cli, ["leases", "missing", "--institution", "bank", "--agency", "agA", *DAY, "--db", db_url])
    assert agency.exit_code == 0 and "c1" in agency.output and "bot1" not in agency.output
    assert run(cli, ["leases", "missing", "--institution", "bank2", *DAY, "--json", "--db", db_url]).exit_code == 2
    naive = run(cli, ["leases", "missing", "--institution", "bank", "--since", "2026-05-20T09:00", "--db", db_url])
    assert naive.exit_code == 2 and "--since" in naive.output
    wide = run(cli, ["leases", "missing", "--institution", "bank", "--since", "2026-01-01T00:00:00+08:00",
                     "--until", "2026-05-21T00:00:00+08:00", "--db", db_url])
    assert wide.exit_code == 2 and "31" in wide.output

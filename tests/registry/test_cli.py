"""A new user's first day on the command line: `collectguard init` creates the institution, its policy and
its first administrator key (shown once) on a fresh database, refuses to run twice, and `collectguard policy`
shows and changes the policy, stricter than the guideline only."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from collectguard.api.app import create_app
from collectguard.cli import app as cli
from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.registry import models as m

run = CliRunner().invoke


@pytest.fixture
def fresh(tmp_path) -> str:
    """A database that does not exist yet (init migrates it)."""
    return f"sqlite:///{tmp_path / 'first-day.db'}"


def _token(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("cgk_"))


def test_init_creates_the_institution_and_a_working_admin_key_once(fresh):
    out = run(cli, ["init", "--institution", "acme", "--name", "示例消费金融", "--db", fresh])
    assert out.exit_code == 0, out.output
    token = _token(out.output)
    assert "shown once" in out.output
    store = Store(fresh)
    with store.transaction() as session:
        row = session.get(m.Institution, "acme")
        assert row is not None and row.name == "示例消费金融" and row.policy == {}
        kinds = session.execute(select(LedgerRecord.kind)).scalars().all()
        assert verify(session).ok
    store.dispose()
    assert "registry:institution:created" in kinds
    # the README's next step now works: the admin key reads the institution and issues more keys
    app = create_app(fresh, migrate=False, lease_sweep_s=0)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/institutions/acme", headers=headers).status_code == 200
        assert client.get("/v1/institutions/acme/policy", headers=headers).json()["policy"] == {}
    app.state.store.dispose()
    keys = run(cli, ["keys", "create", "--role", "auditor", "--institution", "acme", "--db", fresh])
    assert keys.exit_code == 0 and keys.output.strip().startswith("cgk_")
    # a second init changes nothing and says why
    again = run(cli, ["init", "--institution", "acme", "--name", "Other", "--db", fresh])
    assert again.exit_code == 1 and "already exists" in again.output and "cgk_" not in again.output
    store = Store(fresh)
    with store.transaction() as session:
        assert session.get(m.Institution, "acme").name == "示例消费金融"
    store.dispose()


def test_init_with_a_policy_file_and_the_errors_a_new_user_meets(fresh, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text('voice_cap: 2\nquiet_hours: {from: "21:00", to: "08:00"}\nlease_ttl_s: 300\n', "utf-8")
    out = run(cli, ["init", "--institution", "acme", "--name", "Acme", "--policy", str(policy), "--db", fresh])
    assert out.exit_code == 0, out.output
    shown = run(cli, ["policy", "show", "--institution", "acme", "--db", fresh])
    assert json.loads(shown.output)["policy"] == {"voice_cap": 2, "quiet_hours": {"from": "21:00", "to": "08:00"},
                                                   "lease_ttl_s": 300}
    other = f"sqlite:///{tmp_path / 'other.db'}"
    loose = tmp_path / "loose.yaml"
    loose.write_text("voice_cap: 4\n", "utf-8")
    bad = run(cli, ["init", "--institution", "beta", "--name", "Beta", "--policy", str(loose), "--db", other])
    assert bad.exit_code == 2 and "voice_cap" in bad.output and "looser" in bad.output
    typo = tmp_path / "typo.yaml"
    typo.write_text("voice_caps: 2\n", "utf-8")
    bad = run(cli, ["init", "--institution", "beta", "--name", "Beta", "--policy", str(typo), "--db", other])
    assert bad.exit_code == 2 and "voice_caps" in bad.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("voice_cap: [2\n", "utf-8")
    bad = run(cli, ["init", "--institution", "beta", "--name", "Beta", "--policy", str(broken), "--db", other])
    assert bad.exit_code == 2 and "broken.yaml" in bad.output
    bad = run(cli, ["init", "--institution", "no spaces", "--name", "Beta", "--db", other])
    assert bad.exit_code == 2 and "institution" in bad.output
    store = Store(other)
    with store.transaction() as session:
        assert session.execute(select(m.Institution)).first() is None  # nothing was created by the failures
    store.dispose()


def test_policy_set_from_a_file_or_key_values_stricter_only(db_url, tmp_path):
    fresh = db_url  # an empty, migrated database on each backend
    assert run(cli, ["init", "--institution", "acme", "--name", "Acme", "--db", fresh]).exit_code == 0
    out = run(cli, ["policy", "set", "--institution", "acme", "--set", "voice_cap=2", "--set", "quiet_hours.from=21:00",
                    "--set", "quiet_hours.to=08:00", "--db", fresh])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["policy"] == {"voice_cap": 2, "quiet_hours": {"from": "21:00", "to": "08:00"}}
    assert body["effective"]["voice_cap"] == 2 and body["ledger_seq"] > 0
    # --set changes the current policy; KEY= removes a key
    out = run(cli, ["policy", "set", "--institution", "acme", "--set", "voice_cap=", "--set", "visit_cap=0",
                    "--db", fresh])
    assert json.loads(out.output)["policy"] == {"quiet_hours": {"from": "21:00", "to": "08:00"}, "visit_cap": 0}
    # --file replaces the whole policy
    file = tmp_path / "p.yaml"
    file.write_text("effective_call_cap: 1\n", "utf-8")
    out = run(cli, ["policy", "set", "--institution", "acme", "--file", str(file), "--db", fresh])
    assert json.loads(out.output)["policy"] == {"effective_call_cap": 1}
    loose = run(cli, ["policy", "set", "--institution", "acme", "--set", "quiet_hours.from=23:00",
                      "--set", "quiet_hours.to=08:00", "--db", fresh])
    assert loose.exit_code == 2 and "quiet_hours" in loose.output
    missing = run(cli, ["policy", "show", "--institution", "nobody", "--db", fresh])
    assert missing.exit_code == 1 and "nobody" in missing.output
    nothing = run(cli, ["policy", "set", "--institution", "acme", "--db", fresh])
    assert nothing.exit_code == 2
    assert json.loads(run(cli, ["policy", "show", "--institution", "acme", "--db", fresh]).output)["policy"] == {
        "effective_call_cap": 1}

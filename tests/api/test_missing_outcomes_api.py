"""Missing outcomes over HTTP, and the server's lease sweeper: it expires leases whose outcome never came
(each a ledger record with its institution) while the server runs, and stops cleanly on shutdown."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from collectguard.api.app import create_app
from collectguard.config import DEFAULT_LEASE_SWEEP_S, Settings
from collectguard.db.store import Store
from collectguard.gate.models import AttemptRow
from collectguard.ledger.models import LedgerRecord
from collectguard.registry.service import Registry
from tests.api.conftest import Clock, auth
from tests.factories import at, build

CALL = {"id": "a1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
MISSING = "/v1/attempts/missing-outcomes"


def test_missing_outcomes_per_collector_scoped_to_the_caller(api, clock):
    client, tokens = api
    assert client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"])).json()["allowed"]
    agency_call = {**CALL, "id": "c-1", "collector": "c1"}
    assert client.post("/v1/attempts", json=agency_call, headers=auth(tokens["agency_operator"])).json()["allowed"]
    assert client.get(MISSING, headers=auth(tokens["auditor"])).json()["total"] == 0  # leases still running
    clock.now = at("2026-05-20 10:30")
    body = client.get(MISSING, headers=auth(tokens["auditor"])).json()
    assert body["institution_id"] == "bank" and body["total"] == 2
    assert [(c["collector"], c["count"], c["attempts"]) for c in body["collectors"]] == [
        ("bot1", 1, ["a1"]), ("c1", 1, ["c-1"])]
    # an agency sees its own collectors only; another institution sees nothing of bank's
    agency = client.get(MISSING, headers=auth(tokens["agency_operator"])).json()
    assert [c["collector"] for c in agency["collectors"]] == ["c1"]
    # an id stored under the institution (another institution had used it first) is shown as the caller sent it
    with client.app.state.store.transaction() as session:
        session.execute(update(AttemptRow).where(AttemptRow.id == "c-1").values(id="bank/c-1"))
    assert client.get(MISSING, headers=auth(tokens["auditor"])).json()["collectors"][1]["attempts"] == ["c-1"]
    assert client.get(MISSING, headers=auth(tokens["bank2_admin"])).json()["total"] == 0
    # a late outcome settles the lease: the attempt is no longer missing
    client.post("/v1/attempts/a1/outcome", json={"connected": False}, headers=auth(tokens["integration"]))
    later = client.get(MISSING, params={"since": "2026-05-20T00:00:00+08:00"}, headers=auth(tokens["auditor"]))
    assert [c["collector"] for c in later.json()["collectors"]] == ["c1"]


def test_bad_periods_are_a_422_naming_the_parameter(api):
    client, tokens = api
    for params, field in (({"since": "2026-05-20T10:00:00"}, "since"),
                          ({"since": "2026-05-20T10:00:00+08:00", "until": "2026-05-20T09:00:00+08:00"}, "since"),
                          ({"since": "2026-04-01T00:00:00+08:00", "until": "2026-05-20T00:00:00+08:00"}, "since")):
        r = client.get(MISSING, params=params, headers=auth(tokens["auditor"]))
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field and r.json()["message_zh"] and r.json()["message_en"]
    assert client.get(MISSING).status_code == 401


def _wait(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sweeper did not act in time"
        time.sleep(0.02)


def test_the_server_expires_leases_on_a_schedule_and_stops_on_shutdown(db_url):
    store = Store(db_url)
    build(store)
    with store.transaction() as session:
        from collectguard.auth.roles import Role
        from collectguard.auth.service import issue

        token = issue(Registry(session, at=at("2026-05-01 09:00")), role=Role.INTEGRATION, institution_id="bank").token
    store.dispose()
    clock = Clock(at("2026-05-20 10:00"))
    app = create_app(db_url, migrate=False, clock=clock, lease_sweep_s=0.05)
    sweeper = app.state.lease_sweeper
    calls = {"n": 0}
    expire = app.state.gate.expire_leases

    def flaky(when, **kw):  # the first sweep meets a database outage; the sweeper carries on
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database down")
        return expire(when, **kw)

    app.state.gate.expire_leases = flaky
    with TestClient(app) as client:
        assert client.post("/v1/attempts", json=CALL, headers=auth(token)).json()["allowed"]
        _wait(lambda: sweeper.sweeps >= 2)
        assert sweeper.expired == 0  # the lease runs until 10:10
        clock.now = at("2026-05-20 10:10") + timedelta(seconds=1)
        _wait(lambda: sweeper.expired == 1)
    assert sweeper.running == 0  # stopped with the server
    sweeps = sweeper.sweeps
    time.sleep(0.2)
    assert sweeper.sweeps == sweeps
    with app.state.store.transaction() as session:
        record = session.execute(select(LedgerRecord).where(LedgerRecord.kind == "gate:lease:expired")).scalar_one()
    assert (record.subject, record.institution_id) == ("a1", "bank")
    app.state.store.dispose()


def test_two_clients_on_one_app_each_sweep_on_their_own_loop_and_stop_with_it(db_url):
    app = create_app(db_url, migrate=False, lease_sweep_s=0.05)
    with TestClient(app):
        assert app.state.lease_sweeper.running == 1
        with TestClient(app):
            assert app.state.lease_sweeper.running == 2
        assert app.state.lease_sweeper.running == 1
    assert app.state.lease_sweeper.running == 0
    app.state.store.dispose()


def test_a_sweep_interval_of_zero_runs_no_sweeper(db_url):
    app = create_app(db_url, migrate=False, lease_sweep_s=0)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert app.state.lease_sweeper.running == 0
    app.state.store.dispose()


def test_the_sweep_interval_comes_from_the_environment_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.delenv("COLLECTGUARD_LEASE_SWEEP_S", raising=False)
    assert Settings.from_env().lease_sweep_s == DEFAULT_LEASE_SWEEP_S
    monkeypatch.setenv("COLLECTGUARD_LEASE_SWEEP_S", "2.5")
    assert Settings.from_env().lease_sweep_s == 2.5
    for bad in ("soon", "-1", "nan", "100000"):
        monkeypatch.setenv("COLLECTGUARD_LEASE_SWEEP_S", bad)
        with pytest.raises(ValueError, match="COLLECTGUARD_LEASE_SWEEP_S"):
            Settings.from_env()

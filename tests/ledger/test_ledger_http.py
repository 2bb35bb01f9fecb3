"""The ledger over HTTP: kind filters take no SQL wildcards; the server takes signed checkpoints on a schedule
(at start, every interval, at shutdown) and /v1/ledger/verify?checkpoints=true proves the chain against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.ledger.export import CheckpointConfig
from collectguard.ledger.signing import SigningKey
from collectguard.registry.service import Registry
from tests.factories import at, build
from tests.ledger.tampering import fill, rewrite


def _auditor(store: Store) -> dict[str, str]:
    build(store)
    with store.transaction() as s:
        token = issue(Registry(s, at=at("2026-05-01 09:00")), role=Role.AUDITOR, institution_id="bank").token
    return {"Authorization": f"Bearer {token}"}


def _kinds(client: TestClient, headers: dict[str, str], kind: str) -> list[str]:
    r = client.get("/v1/ledger", params={"kind": kind, "limit": 10_000}, headers=headers)
    assert r.status_code == 200, r.text
    return [json.loads(line)["kind"] for line in r.text.splitlines()]


def test_kind_filters_take_percent_and_underscore_literally(store, db_url):
    headers = _auditor(store)
    fill(store, 3)
    with TestClient(create_app(db_url, migrate=False)) as client:
        assert set(_kinds(client, headers, "gate:")) == {"gate:attempt:outcome"}
        assert _kinds(client, headers, "%:") == []  # was: every kind
        assert _kinds(client, headers, "%") == []
        assert _kinds(client, headers, "g_te:") == []  # was: every gate: record
        assert _kinds(client, headers, "gate:attempt:outcome") == ["gate:attempt:outcome"] * 3
        client.app.state.store.dispose()


@pytest.fixture
def config(tmp_path: Path) -> CheckpointConfig:
    return CheckpointConfig(key=SigningKey.generate("sm2"), directory=tmp_path / "checkpoints", interval_s=3600)


def test_the_server_takes_checkpoints_at_start_and_at_shutdown(store, db_url, config):
    headers = _auditor(store)
    fill(store, 4)
    assert config.directory is not None
    with TestClient(create_app(db_url, migrate=False, checkpoints=config)) as client:
        [at_start] = config.directory.iterdir()
        fill(store, 2, first=4)
        v = client.get("/v1/ledger/verify", params={"checkpoints": "true"}, headers=headers).json()
        assert v["ok"] is True and v["checkpoints"]["checked"] == 1
        client.app.state.store.dispose()
    names = sorted(p.name for p in config.directory.iterdir())
    assert len(names) == 2 and names[0] == at_start.name
    with store.read() as s:
        from collectguard.ledger.service import verify

        head = verify(s).count
    assert names[1].startswith(f"checkpoint-{head:012d}-")


def test_http_verify_with_checkpoints_reports_a_recomputed_rewrite(store, db_url, config):
    headers = _auditor(store)
    fill(store, 5)
    with TestClient(create_app(db_url, migrate=False, checkpoints=config)) as client:
        rewrite(store, 2, lambda payload: payload.update(connected=True))
        plain = client.get("/v1/ledger/verify", headers=headers).json()
        assert plain["ok"] is True and "checkpoints" not in plain
        v = client.get("/v1/ledger/verify", params={"checkpoints": "true"}, headers=headers).json()
        assert v["ok"] is False and v["checkpoints"]["ok"] is False
        [problem] = v["checkpoints"]["problems"]
        assert "rewritten" in problem["message_en"] and problem["message_zh"]
        client.app.state.store.dispose()


def test_http_verify_with_checkpoints_on_a_server_without_them_is_a_clear_400(store, db_url, monkeypatch):
    monkeypatch.delenv("COLLECTGUARD_CHECKPOINT_KEY", raising=False)
    headers = _auditor(store)
    with TestClient(create_app(db_url, migrate=False)) as client:
        r = client.get("/v1/ledger/verify", params={"checkpoints": "true"}, headers=headers)
        assert r.status_code == 400 and r.json()["field"] == "checkpoints"
        assert r.json()["message_zh"] and "COLLECTGUARD_CHECKPOINT_DIR" in r.json()["message_en"]
        client.app.state.store.dispose()


def test_two_clients_on_one_app_each_take_checkpoints_on_their_own_loop(store, db_url, config):
    headers = _auditor(store)
    fill(store, 2)
    app = create_app(db_url, migrate=False, checkpoints=config)
    with TestClient(app) as first, TestClient(app) as second:
        fill(store, 1, first=2)
        for client in (first, second):
            assert client.get("/v1/ledger/verify", params={"checkpoints": "true"}, headers=headers).json()["ok"]
    schedule = app.state.checkpoints
    assert schedule is not None and schedule.running == 0 and schedule.runs == 4  # each loop: start and stop
    assert config.directory is not None and len(list(config.directory.iterdir())) == 2  # same heads, written once
    app.state.store.dispose()

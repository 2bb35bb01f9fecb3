"""An institution's own webhook for obligation alerts over HTTP (issue 11): only its administrator sets it
(`keys:manage`), its staff read it without the secret, agencies and other institutions never; and the outbox's
generalisation leaves stop notices, and the migrated rows written before it, as they were."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.tags import Tag
from collectguard.notices.models import InstitutionEndpoint, NoticeKind
from tests.api.conftest import auth

PATH = "/v1/institutions/bank/alert-endpoint"
BODY = {"url": "https://bank.example/hooks/obligations", "secret": "alert-secret-0123456789"}


def test_the_institution_admin_sets_the_alert_endpoint_and_staff_read_it_without_the_secret(api):
    client, tokens = api
    assert client.get(PATH, headers=auth(tokens["institution_admin"])).status_code == 404  # none yet
    put = client.put(PATH, json=BODY, headers=auth(tokens["institution_admin"]))
    assert put.status_code == 200, put.text
    assert put.json()["url"] == BODY["url"] and put.json()["active"] is True and put.json()["secret_set"] is True
    assert "secret" not in put.json()
    for role in ("institution_admin", "compliance_officer", "auditor"):
        got = client.get(PATH, headers=auth(tokens[role]))
        assert got.status_code == 200, (role, got.text)
        assert got.json()["institution_id"] == "bank" and "secret" not in got.json()
        assert BODY["secret"] not in got.text
    again = client.put(PATH, json={**BODY, "active": False}, headers=auth(tokens["institution_admin"]))
    assert again.status_code == 200 and again.json()["active"] is False
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        assert session.get(InstitutionEndpoint, "bank").secret == BODY["secret"]  # type: ignore[union-attr]
        records = list(session.execute(select(LedgerRecord).where(LedgerRecord.subject == "bank",
                                                                  LedgerRecord.kind.like("notice:alert-endpoint:%"))
                                       .order_by(LedgerRecord.seq)).scalars())
    assert [r.kind for r in records] == [Tag.ALERT_ENDPOINT_CREATED, Tag.ALERT_ENDPOINT_CHANGED]
    assert all(BODY["secret"] not in r.body for r in records)


def test_only_the_institution_admin_sets_it_and_only_for_its_own_institution(api):
    client, tokens = api
    for role in ("compliance_officer", "auditor", "agency_operator", "integration", "agency_admin"):
        assert client.put(PATH, json=BODY, headers=auth(tokens[role])).status_code == 403, role
    for role in ("agency_operator", "integration", "agency_admin"):
        assert client.get(PATH, headers=auth(tokens[role])).status_code == 403, role
    other = client.put("/v1/institutions/bank2/alert-endpoint", json=BODY, headers=auth(tokens["institution_admin"]))
    assert other.status_code == 404 and other.json()["field"] == "institution_id"
    assert client.put("/v1/institutions/bank2/alert-endpoint", json=BODY,
                      headers=auth(tokens["bank2_admin"])).status_code == 200
    assert client.get(PATH, headers=auth(tokens["bank2_admin"])).status_code == 404


def test_a_bad_url_or_short_secret_is_refused(api):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    assert client.put(PATH, json={**BODY, "url": "ftp://bank.example/x"}, headers=admin).status_code == 422
    assert client.put(PATH, json={**BODY, "secret": "short"}, headers=admin).status_code == 422
    assert client.put(PATH, json={**BODY, "extra": 1}, headers=admin).status_code == 422


def test_rows_written_before_the_migration_are_stop_notices(tmp_path: Path):
    """Migration of the outbox: existing rows keep their agency and debt and become `stop_notice`."""
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0012")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO outbox (id, institution_id, agency_id, debt_id, reason, payload, created_at, status, "
                     "attempts, next_attempt_at) VALUES ('ntc_old', 'bank', 'agA', 'loan1', 'settled', '{}', "
                     "'2026-05-20 02:00:00.000000', 'pending', 0, '2026-05-20 02:00:00.000000')")
    upgrade(url)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT kind, agency_id, debt_id, dedupe_key FROM outbox").fetchall() == [
            (NoticeKind.STOP_NOTICE.value, "agA", "loan1", None)]

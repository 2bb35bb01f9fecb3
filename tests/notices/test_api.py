"""Stop notices over HTTP: who sees which notices, acknowledgements, webhook endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.notices.outbox import enqueue
from tests.api.conftest import auth
from tests.factories import at


def notices(client: TestClient, when: datetime) -> dict[str, str]:
    """Queue notices: bank→agA (loan1), bank→agB (loan3), bank2→agA (loan2)."""
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        return {
            name: enqueue(session, institution_id=inst, agency_id=agency, debt_id=debt, reason="settled",
                          payload={"agency": agency, "reason": "settled"}, at=when)
            for name, inst, agency, debt in [("bank-agA", "bank", "agA", "loan1"), ("bank-agB", "bank", "agB", "loan3"),
                                             ("bank2-agA", "bank2", "agA", "loan2")]
        }


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {n["id"] for n in response.json()}


def ledger(client: TestClient, kind: str) -> list[LedgerRecord]:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        return list(session.execute(select(LedgerRecord).where(LedgerRecord.kind == kind)).scalars())


def test_each_party_sees_only_its_own_notices(api, clock):
    client, tokens = api
    n = notices(client, clock.now)
    for role in ("institution_admin", "compliance_officer", "auditor"):
        assert ids(client.get("/v1/notices", headers=auth(tokens[role]))) == {n["bank-agA"], n["bank-agB"]}
    assert ids(client.get("/v1/notices", headers=auth(tokens["agency_operator"]))) == {n["bank-agA"]}
    assert ids(client.get("/v1/notices", params={"agency": "agB"}, headers=auth(tokens["agency_operator"]))) == set()
    assert ids(client.get("/v1/notices", headers=auth(tokens["bank2_agency"]))) == {n["bank2-agA"]}
    assert ids(client.get("/v1/notices", params={"agency": "agB"}, headers=auth(tokens["auditor"]))) == {n["bank-agB"]}
    one = client.get("/v1/notices", params={"status": "pending", "debt": "loan1"}, headers=auth(tokens["auditor"]))
    assert [(x["id"], x["status"], x["attempts"], x["acknowledged_at"]) for x in one.json()] == [
        (n["bank-agA"], "pending", 0, None)]
    assert client.get("/v1/notices", headers=auth(tokens["integration"])).status_code == 403
    assert client.get("/v1/notices", params={"status": "lost"}, headers=auth(tokens["auditor"])).status_code == 422


def test_the_notified_agency_acknowledges_once(api, clock):
    client, tokens = api
    n = notices(client, clock.now)
    url = f"/v1/notices/{n['bank-agA']}/ack"
    first = client.post(url, json={"note": "已停止外呼 calls stopped"}, headers=auth(tokens["agency_operator"]))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["ack_note"] == "已停止外呼 calls stopped"
    assert datetime.fromisoformat(body["acknowledged_at"]) == clock.now
    clock.now = at("2026-05-20 11:00")
    again = client.post(url, json={"note": "again"}, headers=auth(tokens["agency_operator"]))
    assert again.status_code == 200 and again.json() == body  # idempotent: the first acknowledgement stands
    records = ledger(client, "notice:notice:acknowledged")
    assert [(r.subject, r.institution_id) for r in records] == [(n["bank-agA"], "bank")]
    listed = client.get("/v1/notices", params={"acknowledged": True}, headers=auth(tokens["auditor"]))
    assert ids(listed) == {n["bank-agA"]}


def test_only_the_notified_agency_may_acknowledge(api, clock):
    client, tokens = api
    n = notices(client, clock.now)
    admin = client.post(f"/v1/notices/{n['bank-agA']}/ack", json={}, headers=auth(tokens["institution_admin"]))
    assert admin.status_code == 403 and admin.json()["code"] == "forbidden"
    assert client.post(f"/v1/notices/{n['bank-agA']}/ack", json={},
                       headers=auth(tokens["auditor"])).status_code == 403
    # Another agency, or the same agency acting for another institution: not found (nothing leaks).
    other = client.post(f"/v1/notices/{n['bank-agB']}/ack", json={}, headers=auth(tokens["agency_operator"]))
    assert other.status_code == 404 and other.json()["field"] == "id"
    assert client.post(f"/v1/notices/{n['bank-agA']}/ack", json={},
                       headers=auth(tokens["bank2_agency"])).status_code == 404
    assert client.post("/v1/notices/ntc_nope/ack", json={}, headers=auth(tokens["agency_operator"])).status_code == 404
    assert ledger(client, "notice:notice:acknowledged") == []


def test_an_admin_sets_an_endpoint_whose_secret_is_never_returned(api):
    client, tokens = api
    secret = "whsec-0123456789abcdef"
    body = {"url": "https://agA.example/hooks/stop", "secret": secret}
    r = client.put("/v1/agency-endpoints/agA", json=body, headers=auth(tokens["institution_admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["url"] == body["url"] and r.json()["active"] is True and secret not in r.text
    changed = client.put("/v1/agency-endpoints/agA", json={**body, "active": False},
                         headers=auth(tokens["institution_admin"]))
    assert changed.status_code == 200 and changed.json()["active"] is False
    listed = client.get("/v1/agency-endpoints", headers=auth(tokens["auditor"]))
    assert [e["agency_id"] for e in listed.json()] == ["agA"] and secret not in listed.text
    kinds = [r.kind for r in ledger(client, "notice:endpoint:created") + ledger(client, "notice:endpoint:changed")]
    assert kinds == ["notice:endpoint:created", "notice:endpoint:changed"]
    assert all(secret not in rec.body for rec in ledger(client, "notice:endpoint:created"))


def test_endpoint_errors(api):
    client, tokens = api
    body = {"url": "https://agA.example/hooks/stop", "secret": "whsec-0123456789abcdef"}
    for role in ("compliance_officer", "agency_operator", "auditor"):
        assert client.put("/v1/agency-endpoints/agA", json=body, headers=auth(tokens[role])).status_code == 403
    assert client.get("/v1/agency-endpoints", headers=auth(tokens["agency_operator"])).status_code == 403
    unknown = client.put("/v1/agency-endpoints/agZ", json=body, headers=auth(tokens["institution_admin"]))
    assert unknown.status_code == 404 and unknown.json()["field"] == "agency"
    # agB is on bank's list, not on bank2's.
    assert client.put("/v1/agency-endpoints/agB", json=body, headers=auth(tokens["bank2_admin"])).status_code == 404
    bad_url = client.put("/v1/agency-endpoints/agA", json={**body, "url": "ftp://x"},
                         headers=auth(tokens["institution_admin"]))
    assert bad_url.status_code == 422 and bad_url.json()["field"] == "url"
    short = client.put("/v1/agency-endpoints/agA", json={**body, "secret": "short"},
                       headers=auth(tokens["institution_admin"]))
    assert short.status_code == 422 and short.json()["field"] == "secret"

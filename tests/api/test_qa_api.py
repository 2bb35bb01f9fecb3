"""QA findings recorded against attempts are read back per collector and per agency over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from collectguard.qa import storage
from tests.api.conftest import auth

CALL = {"id": "a1", "collector": "c1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "interactive",
        "tool": "tel", "recording": True}


def test_violations_per_collector_and_agency(api):
    client, tokens = api
    assert client.post("/v1/attempts", json=CALL, headers=auth(tokens["institution_admin"])).json()["allowed"]
    store = client.app.state.store
    finding = {"category": "threat", "rule": "art16-etiquette", "turn": 2, "start": 9.0, "end": 12.0,
               "evidence": "后果自负", "severity": "critical"}
    with store.transaction() as session:
        storage.record(session, storage.Inspected(call_id="call-1", attempt_id="a1", findings=[finding]),
                       at=datetime.now(UTC))
    by_collector = client.get("/v1/qa/violations?by=collector", headers=auth(tokens["auditor"])).json()
    assert by_collector == [{"who": "c1", "day": "2026-05-20", "calls": 1, "violations": 1}]
    by_agency = client.get("/v1/qa/violations?by=agency", headers=auth(tokens["compliance_officer"])).json()
    assert by_agency[0]["who"] == "agA"
    assert client.get("/v1/qa/violations", headers=auth(tokens["bank2_admin"])).json() == []
    assert client.get("/v1/qa/violations", headers=auth(tokens["integration"])).status_code == 403

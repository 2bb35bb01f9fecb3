"""An institution's policy over HTTP: read it, replace it stricter-only (a looser key is a 422 naming it),
recorded in the ledger, and applied by the gate from its next decision."""

from __future__ import annotations

import json

from tests.api.conftest import auth

CALL = {"collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
POLICY = "/v1/institutions/bank/policy"


def test_read_the_policy_and_the_limits_in_effect(api):
    client, tokens = api
    for role in ("institution_admin", "compliance_officer", "auditor"):
        r = client.get(POLICY, headers=auth(tokens[role]))
        assert r.status_code == 200, (role, r.text)
    body = r.json()
    assert body["institution_id"] == "bank" and body["profile"] == "nifa-2024" and body["policy"] == {}
    assert body["effective"]["voice_cap"] == 3 and body["effective"]["quiet_hours"] == {"from": "22:00", "to": "08:00"}
    assert client.get(POLICY, headers=auth(tokens["integration"])).status_code == 403
    # an agency, or another institution, does not learn that the institution (or its policy) exists
    assert client.get(POLICY, headers=auth(tokens["agency_operator"])).status_code == 404
    assert client.get(POLICY, headers=auth(tokens["bank2_admin"])).status_code == 404


def test_a_stricter_policy_is_recorded_and_the_gate_applies_it_at_once(api):
    client, tokens = api
    ask = auth(tokens["integration"])
    assert client.post("/v1/attempts", json={**CALL, "id": "a1"}, headers=ask).json()["quotas"]["art15-voice-cap"] == 2
    stricter = {"voice_cap": 1, "quiet_hours": {"from": "20:00", "to": "09:00"}, "lease_ttl_s": 300}
    r = client.put(POLICY, json=stricter, headers=auth(tokens["institution_admin"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["policy"] == stricter and body["effective"]["voice_cap"] == 1 and body["ledger_seq"] > 0
    assert client.get(POLICY, headers=auth(tokens["auditor"])).json()["policy"] == stricter
    # the gate had cached the registry before the change: its very next decision sees the new cap
    second = client.post("/v1/attempts", json={**CALL, "id": "a2"}, headers=ask).json()
    assert second["failing_rules"] == ["art15-voice-cap"]
    ledger = client.get("/v1/ledger", params={"kind": "registry:institution:updated"}, headers=auth(tokens["auditor"]))
    records = [json.loads(line) for line in ledger.text.splitlines()]
    assert [r["seq"] for r in records] == [body["ledger_seq"]]
    assert records[0]["body"]["payload"]["policy"] == stricter
    # the same policy again changes nothing and records nothing
    again = client.put(POLICY, json=stricter, headers=auth(tokens["institution_admin"])).json()
    assert again["ledger_seq"] is None
    # back to the guideline
    assert client.put(POLICY, json={}, headers=auth(tokens["institution_admin"])).json()["effective"]["voice_cap"] == 3


def test_a_looser_value_is_a_422_naming_the_key(api):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    for body, field in (({"voice_cap": 4}, "voice_cap"), ({"visit_cap": 2}, "visit_cap"),
                        ({"quiet_hours": {"from": "23:00", "to": "07:00"}}, "quiet_hours"),
                        ({"unreachable": {"window_days": 3, "min_attempts": 2, "min_distinct_days": 5}}, "unreachable"),
                        ({"voice_cap": -1}, "voice_cap"), ({"lease_ttl_s": 0}, "lease_ttl_s"),
                        ({"call_cap": 1}, "call_cap")):
        r = client.put(POLICY, json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
        error = r.json()
        assert error["field"] == field and error["message_zh"] and error["message_en"], (body, error)
    r = client.put(POLICY, json={"voice_cap": 4}, headers=admin)
    assert r.json()["code"] == "policy-looser-than-guideline" and "3" in r.json()["message_en"]
    assert client.get(POLICY, headers=admin).json()["policy"] == {}  # nothing was changed


def test_only_the_institutions_own_admin_changes_its_policy(api):
    client, tokens = api
    for role, status in (("compliance_officer", 403), ("auditor", 403), ("integration", 403),
                         ("agency_operator", 403), ("bank2_admin", 404)):
        r = client.put(POLICY, json={"voice_cap": 1}, headers=auth(tokens[role]))
        assert r.status_code == status, (role, r.text)
    assert client.get(POLICY, headers=auth(tokens["institution_admin"])).json()["policy"] == {}

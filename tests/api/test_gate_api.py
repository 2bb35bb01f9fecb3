"""The gate through HTTP: decisions, outcomes, retries, holds, ledger, keys, errors."""

from __future__ import annotations

import json
from datetime import datetime

from tests.api.conftest import auth
from tests.factories import at

CALL = {"id": "a1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}


def test_ask_the_gate_and_report_the_outcome(api):
    client, tokens = api
    r = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "allow" and body["quotas"]["art15-voice-cap"] == 2
    assert body["lease"]["rule"] == "art15-voice-cap"
    out = client.post("/v1/attempts/a1/outcome", json={"connected": True, "duration_s": 30},
                      headers=auth(tokens["integration"]))
    assert out.status_code == 200 and out.json()["lease_state"] == "consumed"
    again = client.get("/v1/attempts/a1", headers=auth(tokens["auditor"]))
    assert again.status_code == 200 and again.json()["decision_id"] == body["decision_id"]


def test_a_compliance_deny_is_a_200_with_every_failing_rule(api, clock):
    client, tokens = api
    clock.now = at("2026-05-20 22:30")
    r = client.post("/v1/attempts", json={**CALL, "tool": None, "template": None}, headers=auth(tokens["integration"]))
    assert r.status_code == 200
    body = r.json()
    assert body["decision"] == "deny"
    assert set(body["failing_rules"]) == {"art9-quiet-hours", "art10-registered-tool", "art15-template-approved"}
    assert all(v["message_zh"] and v["message_en"] for v in body["violations"])
    assert body["next_allowed_at"] is None


def test_idempotency_key_returns_the_first_answer_and_takes_no_second_lease(api):
    client, tokens = api
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-1"})
    first = client.post("/v1/attempts", json=CALL, headers=headers)
    second = client.post("/v1/attempts", json=CALL, headers=headers)
    assert second.status_code == 200 and second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    nxt = client.post("/v1/attempts", json={**CALL, "id": "a2"}, headers=auth(tokens["integration"]))
    assert nxt.json()["quotas"]["art15-voice-cap"] == 1  # only one lease was taken before
    reused = client.post("/v1/attempts", json={**CALL, "id": "a3"}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency-key-reused"


def test_malformed_input_is_a_422_naming_the_field(api):
    client, tokens = api
    r = client.post("/v1/attempts", json={**CALL, "channel": "pigeon"}, headers=auth(tokens["integration"]))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid" and body["field"] == "channel"
    assert body["message_zh"] and body["message_en"]


def test_no_key_or_a_bad_key_is_a_401(api):
    client, _ = api
    assert client.post("/v1/attempts", json=CALL).status_code == 401
    bad = client.post("/v1/attempts", json=CALL, headers=auth("cgk_0000.nope"))
    assert bad.status_code == 401 and bad.json()["code"] == "unauthenticated"


def test_other_tenants_and_unplaced_debts_are_not_found(api):
    client, tokens = api
    # bank2's admin cannot see or use bank's debt, even through the same agency.
    r = client.post("/v1/attempts", json=CALL, headers=auth(tokens["bank2_admin"]))
    assert r.status_code == 404 and "loan1" in r.json()["message_en"]
    r = client.get("/v1/attempts/a1", headers=auth(tokens["bank2_admin"]))
    assert r.status_code == 404
    # agA's operator for bank may act on loan1 (placed with agA) but not on loan3 (not placed).
    ok = client.post("/v1/attempts", json={**CALL, "collector": "c1"}, headers=auth(tokens["agency_operator"]))
    assert ok.status_code == 200
    nope = client.post("/v1/attempts", json={**CALL, "id": "a9", "collector": "c1", "debt": "loan3", "party": "d3"},
                       headers=auth(tokens["agency_operator"]))
    assert nope.status_code == 404
    # agA's operator key for bank2 does not see bank's debts.
    cross = client.post("/v1/attempts", json={**CALL, "id": "a10", "collector": "c1"}, headers=auth(tokens["bank2_agency"]))
    assert cross.status_code == 404


def test_roles_that_may_not_ask_get_403(api):
    client, tokens = api
    for role in ("auditor", "compliance_officer"):
        r = client.post("/v1/attempts", json=CALL, headers=auth(tokens[role]))
        assert r.status_code == 403 and r.json()["code"] == "forbidden", role


def test_holds_over_http(api, clock):
    client, tokens = api
    r = client.post("/v1/holds", json={"id": "h1", "institution": "bank", "debt": "loan1", "reason": "litigation",
                                       "starts_at": "2026-05-20T09:00:00+08:00"}, headers=auth(tokens["compliance_officer"]))
    assert r.status_code == 201, r.text
    d = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"])).json()
    assert d["failing_rules"] == ["hold-active"]
    assert client.post("/v1/holds", json={"id": "h1", "institution": "bank", "debt": "loan1", "reason": "dispute"},
                       headers=auth(tokens["integration"])).status_code == 403
    listed = client.get("/v1/holds?active=true", headers=auth(tokens["auditor"])).json()
    assert [h["id"] for h in listed] == ["h1"]
    clock.now = at("2026-05-20 11:00")
    assert client.post("/v1/holds/h1/release", json={"note": "已撤诉"}, headers=auth(tokens["compliance_officer"])).status_code == 200
    assert client.post("/v1/attempts", json={**CALL, "id": "a2"}, headers=auth(tokens["integration"])).json()["decision"] == "allow"


def test_ledger_as_json_lines_and_verified(api):
    client, tokens = api
    client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    r = client.get("/v1/ledger?kind=gate:", headers=auth(tokens["auditor"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["kind"] for x in lines] == ["gate:attempt:decided"]
    assert lines[0]["body"]["payload"]["decision"]["decision"] == "allow"
    v = client.get("/v1/ledger/verify", headers=auth(tokens["auditor"])).json()
    assert v["ok"] is True and v["count"] > 10
    assert client.get("/v1/ledger", headers=auth(tokens["integration"])).status_code == 403
    # bank2 sees none of bank's records.
    other = client.get("/v1/ledger?kind=gate:", headers=auth(tokens["bank2_admin"]))
    assert other.text == ""


def test_keys_are_shown_once_listed_without_secrets_and_revocable(api):
    client, tokens = api
    r = client.post("/v1/keys", json={"role": "integration", "label": "dialer-1"}, headers=auth(tokens["institution_admin"]))
    assert r.status_code == 201
    token, key_id = r.json()["token"], r.json()["key_id"]
    listed = client.get("/v1/keys", headers=auth(tokens["institution_admin"])).json()
    assert any(k["key_id"] == key_id for k in listed) and all("token" not in k for k in listed)
    assert client.post("/v1/attempts", json=CALL, headers=auth(token)).status_code == 200
    assert client.delete(f"/v1/keys/{key_id}", headers=auth(tokens["institution_admin"])).status_code == 200
    assert client.post("/v1/attempts", json={**CALL, "id": "a2"}, headers=auth(token)).status_code == 401
    assert client.post("/v1/keys", json={"role": "integration"}, headers=auth(tokens["compliance_officer"])).status_code == 403


def test_overlapping_placement_is_a_409_citing_single_agency(api):
    client, tokens = api
    r = client.post("/v1/placements", json={"debt": "loan1", "agency": "agB", "from": "2026-06-01", "to": "2026-06-30"},
                    headers=auth(tokens["institution_admin"]))
    assert r.status_code == 409 and r.json()["code"] == "art17-single-agency"


def test_an_attempt_read_shows_its_lease_and_outcome_with_the_calls_end_time(api, clock):
    client, tokens = api
    client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    before = client.get("/v1/attempts/a1", headers=auth(tokens["integration"])).json()
    assert before["lease_state"] == "held" and before["outcome"] is None and before["decision"] == "allow"
    clock.now = at("2026-05-20 10:03")
    out = client.post("/v1/attempts/a1/outcome", headers=auth(tokens["integration"]),
                      json={"connected": True, "duration_s": 42, "ended_at": "2026-05-20T10:01:30+08:00"})
    assert out.status_code == 200, out.text
    assert out.json()["against_deny"] is False and out.json()["consumed"] is True
    r = client.get("/v1/attempts/a1", headers=auth(tokens["auditor"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["attempt_id"] == "a1" and body["lease_state"] == "consumed"
    outcome = body["outcome"]
    assert outcome["connected"] is True and outcome["duration_s"] == 42 and outcome["consumed"] is True
    assert outcome["against_deny"] is False and outcome["late"] is False
    assert datetime.fromisoformat(outcome["ended_at"]) == at("2026-05-20 10:01:30")
    assert datetime.fromisoformat(outcome["reported_at"]) == at("2026-05-20 10:03")


def test_an_outcome_for_a_denied_attempt_answers_that_it_was_made_against_the_deny(api, clock):
    client, tokens = api
    clock.now = at("2026-05-20 07:30")  # quiet hours
    d = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"])).json()
    assert d["decision"] == "deny"
    clock.now = at("2026-05-20 07:32")
    out = client.post("/v1/attempts/a1/outcome", json={"connected": True, "duration_s": 20},
                      headers=auth(tokens["integration"]))
    assert out.status_code == 200, out.text
    assert out.json() == {"attempt_id": "a1", "lease_state": "consumed", "late": False, "consumed": True,
                          "against_deny": True}
    read = client.get("/v1/attempts/a1", headers=auth(tokens["auditor"])).json()
    assert read["decision"] == "deny" and read["outcome"]["against_deny"] is True and read["lease_state"] == "consumed"
    # It took one of the day's three calls.
    clock.now = at("2026-05-20 09:00")
    nxt = client.post("/v1/attempts", json={**CALL, "id": "a2"}, headers=auth(tokens["integration"])).json()
    assert nxt["quotas"]["art15-voice-cap"] == 1


def test_an_end_time_in_the_future_or_before_the_attempt_is_a_422_naming_it(api, clock):
    client, tokens = api
    client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    clock.now = at("2026-05-20 10:05")
    for ended, code in (("2026-05-20T10:06:00+08:00", "ended-in-future"),
                        ("2026-05-20T09:59:59+08:00", "ended-before-attempt"),
                        ("2026-05-20T10:01:00", "invalid"), ("yesterday", "invalid")):
        r = client.post("/v1/attempts/a1/outcome", json={"connected": True, "ended_at": ended},
                        headers=auth(tokens["integration"]))
        assert r.status_code == 422, (ended, r.text)
        assert r.json()["field"] == "ended_at" and r.json()["code"] == code, (ended, r.json())
    assert client.get("/v1/attempts/a1", headers=auth(tokens["integration"])).json()["outcome"] is None


def test_a_lease_past_its_expiry_reads_as_expired_before_and_after_the_sweep(api, clock):
    client, tokens = api
    client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    clock.now = at("2026-05-20 10:11")  # the 600 s lease ran out at 10:10
    assert client.get("/v1/attempts/a1", headers=auth(tokens["auditor"])).json()["lease_state"] == "expired"
    assert client.app.state.gate.expire_leases(clock.now) == ["a1"]  # what the server's sweeper does
    read = client.get("/v1/attempts/a1", headers=auth(tokens["auditor"])).json()
    assert read["lease_state"] == "expired" and read["outcome"] is None
    # A late outcome still settles it, and says it came late.
    clock.now = at("2026-05-20 10:20")
    client.post("/v1/attempts/a1/outcome", json={"connected": False}, headers=auth(tokens["integration"]))
    read = client.get("/v1/attempts/a1", headers=auth(tokens["auditor"])).json()
    assert read["lease_state"] == "released" and read["outcome"]["late"] is True

"""监督接口的权限 Who may see and change oversight records (issue 11): institution admins and compliance officers
write; auditors read all of their institution; an agency operator reads its own agency's evaluations, inspections
and orders only, and anything else answers exactly like an unknown id; another institution never sees them
(art. 19(五)); an integration key reaches none of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth
from tests.api.test_oversight_api import evaluation, inspection, ok, order, upload

WRITERS = ("institution_admin", "compliance_officer")


@pytest.fixture
def records(api) -> tuple[TestClient, dict[str, dict[str, str]], dict[str, dict[str, Any]]]:
    """bank's evaluation, inspection and order for each of agA and agB, a staff member and a file; bank2's own
    evaluation, inspection and order of agA (which both banks use)."""
    client, tokens = api
    h = {role: auth(token) for role, token in tokens.items()}
    admin, admin2 = h["institution_admin"], h["bank2_admin"]
    made: dict[str, dict[str, Any]] = {}
    for agency in ("agA", "agB"):
        made[f"evaluation-{agency}"] = ok(client.post("/v1/agency-evaluations", json=evaluation(
            agency, kind="annual"), headers=admin), 201)
        made[f"inspection-{agency}"] = ok(client.post("/v1/inspections", json=inspection(org=agency, findings=[
            {"rule": "art9-quiet-hours", "severity": "minor"}]), headers=admin), 201)
        made[f"order-{agency}"] = ok(client.post("/v1/rectification-orders", json=order(agency), headers=admin), 201)
    made["inspection-bank"] = ok(client.post("/v1/inspections", json=inspection(kind="self", org="bank"),
                                             headers=admin), 201)
    made["staff"] = ok(client.post("/v1/staff", json={"org": "bank", "role": "compliance", "name": "稽核 李某"},
                                   headers=admin), 201)
    made["file"] = ok(upload(client, admin, b"bank's working papers"), 201)
    made["evaluation-bank2"] = ok(client.post("/v1/agency-evaluations", json={
        **evaluation("agA", kind="annual"), "institution": "bank2"}, headers=admin2), 201)
    made["inspection-bank2"] = ok(client.post("/v1/inspections", json={**inspection(), "institution": "bank2"},
                                              headers=admin2), 201)
    made["order-bank2"] = ok(client.post("/v1/rectification-orders", json={**order(), "institution": "bank2"},
                                         headers=admin2), 201)
    return client, h, made


def ids(client: TestClient, path: str, headers: dict[str, str]) -> set[str]:
    return {x["id"] for x in ok(client.get(path, headers=headers))["items"]}


def writes(made: dict[str, dict[str, Any]], institution: str = "bank") -> list[tuple[str, str, Any]]:
    """One request for every oversight write, on `institution`'s records."""
    return [
        ("POST", "/v1/staff", {"org": institution, "role": "compliance"}),
        ("POST", "/v1/agency-evaluations", {**evaluation("agA"), "institution": institution}),
        ("POST", "/v1/agency-commitments", {"institution": institution, "agency": "agA", "items": ["confidentiality"]}),
        ("POST", "/v1/agency-listing", {"institution": institution, "agency": "agA", "listed": False}),
        ("POST", "/v1/agency-terminations", {"institution": institution, "agency": "agA", "reason": "other"}),
        ("POST", "/v1/inspections", {**inspection(), "institution": institution}),
        ("POST", "/v1/rectification-orders", {**order(), "institution": institution}),
        ("POST", f"/v1/rectification-orders/{made['order-agA']['id']}/done", {}),
    ]


def reads(made: dict[str, dict[str, Any]]) -> list[str]:
    """Every oversight read of bank's records."""
    return ["/v1/agency-evaluations", f"/v1/agency-evaluations/{made['evaluation-agA']['id']}",
            "/v1/agencies/agA/lifecycle", "/v1/inspections", f"/v1/inspections/{made['inspection-agA']['id']}",
            "/v1/rectification-orders", f"/v1/rectification-orders/{made['order-agA']['id']}", "/v1/staff",
            f"/v1/evidence-files/{made['file']['hash']}", "/v1/obligations?institution=bank"]


def test_the_auditor_reads_everything_of_its_institution_and_writes_nothing(records):
    client, h, made = records
    auditor = h["auditor"]
    for path in reads(made):
        assert client.get(path, headers=auditor).status_code == 200, path
    bank = {k: v for k, v in made.items() if not k.endswith("bank2")}
    assert ids(client, "/v1/agency-evaluations", auditor) == {bank["evaluation-agA"]["id"],
                                                                 bank["evaluation-agB"]["id"]}
    assert ids(client, "/v1/inspections", auditor) == {bank[f"inspection-{x}"]["id"] for x in ("agA", "agB", "bank")}
    assert ids(client, "/v1/rectification-orders", auditor) == {bank["order-agA"]["id"], bank["order-agB"]["id"]}
    assert ids(client, "/v1/agency-evaluations?agency=agB", auditor) == {bank["evaluation-agB"]["id"]}
    assert ids(client, "/v1/staff", auditor) == {made["staff"]["id"]}
    assert ok(client.get("/v1/agencies/agB/lifecycle", headers=auditor))["stage"] == "listed"
    for method, path, body in writes(made):
        r = client.request(method, path, json=body, headers=auditor)
        assert r.status_code == 403 and r.json()["code"] == "forbidden", (path, r.text)
    assert upload(client, auditor, b"x").status_code == 403
    assert ids(client, "/v1/rectification-orders?open=true", auditor) == {bank["order-agA"]["id"],
                                                                          bank["order-agB"]["id"]}


def test_writers_write(records):
    client, h, made = records
    for role in WRITERS:
        r = client.post("/v1/inspections", json=inspection(kind="self", org="bank"), headers=h[role])
        assert r.status_code == 201, (role, r.text)
    done = client.post(f"/v1/rectification-orders/{made['order-agA']['id']}/done", json={},
                       headers=h["compliance_officer"])
    assert done.status_code == 200 and done.json()["done_at"], done.text


def same_as_unknown(client: TestClient, headers: dict[str, str], path: str, ident: str) -> None:
    """The record is not found, in words that are those of an id that never existed."""
    hidden = client.get(path, headers=headers)
    unknown = client.get(path.replace(ident, "nope_0000"), headers=headers)
    assert hidden.status_code == unknown.status_code == 404, (path, hidden.text)
    assert hidden.json() == {k: (v.replace("nope_0000", ident) if isinstance(v, str) else v)
                             for k, v in unknown.json().items()}, path


def test_an_agency_operator_reads_its_own_agencys_records_only(records):
    client, h, made = records
    operator = h["agency_operator"]
    assert ids(client, "/v1/agency-evaluations", operator) == {made["evaluation-agA"]["id"]}
    assert ids(client, "/v1/agency-evaluations?agency=agB", operator) == set()
    assert ids(client, "/v1/inspections", operator) == {made["inspection-agA"]["id"]}
    assert ids(client, "/v1/rectification-orders", operator) == {made["order-agA"]["id"]}
    for kind, path in (("evaluation", "/v1/agency-evaluations"), ("inspection", "/v1/inspections"),
                       ("order", "/v1/rectification-orders")):
        mine = made[f"{kind}-agA"]["id"]
        assert ok(client.get(f"{path}/{mine}", headers=operator))["id"] == mine
        theirs = made[f"{kind}-agB"]["id"]
        same_as_unknown(client, operator, f"{path}/{theirs}", theirs)
        other_bank = made[f"{kind}-bank2"]["id"]  # agA's own, but bank2's record
        same_as_unknown(client, operator, f"{path}/{other_bank}", other_bank)
    own = made["inspection-bank"]["id"]
    same_as_unknown(client, operator, f"/v1/inspections/{own}", own)
    assert ok(client.get("/v1/agencies/agA/lifecycle", headers=operator))["agency"] == "agA"
    assert client.get("/v1/agencies/agB/lifecycle", headers=operator).status_code == 404
    assert client.get(f"/v1/evidence-files/{made['file']['hash']}", headers=operator).status_code == 404
    assert "稽核" not in client.get("/v1/staff", headers=operator).text
    for method, path, body in writes(made):
        r = client.request(method, path, json=body, headers=operator)
        assert r.status_code == 403, (path, r.text)
    # bank2's operator for agA sees bank2's agA records, none of bank's.
    other = h["bank2_agency"]
    assert ids(client, "/v1/agency-evaluations", other) == {made["evaluation-bank2"]["id"]}
    assert ids(client, "/v1/inspections", other) == {made["inspection-bank2"]["id"]}
    assert ids(client, "/v1/rectification-orders", other) == {made["order-bank2"]["id"]}
    same_as_unknown(client, other, f"/v1/agency-evaluations/{made['evaluation-agA']['id']}",
                    made["evaluation-agA"]["id"])


def test_another_institution_never_sees_nor_touches_them(records):
    client, h, made = records
    admin2 = h["bank2_admin"]
    mine = {made["evaluation-bank2"]["id"]}
    assert ids(client, "/v1/agency-evaluations", admin2) == mine
    assert ids(client, "/v1/inspections", admin2) == {made["inspection-bank2"]["id"]}
    assert ids(client, "/v1/rectification-orders", admin2) == {made["order-bank2"]["id"]}
    assert ids(client, "/v1/staff", admin2) == set()
    for kind, path in (("evaluation", "/v1/agency-evaluations"), ("inspection", "/v1/inspections"),
                       ("order", "/v1/rectification-orders")):
        for agency in ("agA", "agB"):
            ident = made[f"{kind}-{agency}"]["id"]
            same_as_unknown(client, admin2, f"{path}/{ident}", ident)
    assert client.get(f"/v1/inspections/{made['inspection-agA']['id']}/sample", headers=admin2).status_code == 404
    assert client.get("/v1/agencies/agB/lifecycle", headers=admin2).status_code == 404  # bank2 has no agB
    theirs = ok(client.get("/v1/agencies/agA/lifecycle", headers=admin2))
    assert theirs["open_orders"] and {o["institution_id"] for o in theirs["open_orders"]} == {"bank2"}
    assert theirs["last_evaluation"]["id"] == made["evaluation-bank2"]["id"]
    # Writes on bank's records or in bank's name: not found, and nothing changes.
    for method, path, body in writes(made):
        r = client.request(method, path, json=body, headers=admin2)
        assert r.status_code == 404, (path, r.text)
        assert not re.search(r"稽核|working papers", r.text)
    assert ok(client.get(f"/v1/rectification-orders/{made['order-agA']['id']}", headers=h["auditor"]))["done_at"] \
        is None
    assert ok(client.get("/v1/agencies/agA/lifecycle", headers=h["auditor"]))["stage"] == "listed"
    # bank2 writes on agB, which it has no agreement with: not found.
    for method, path, body in (
            ("POST", "/v1/rectification-orders", {**order("agB"), "institution": "bank2"}),
            ("POST", "/v1/inspections", {**inspection(org="agB"), "institution": "bank2"}),
            ("POST", "/v1/agency-evaluations", {**evaluation("agB", kind="annual"), "institution": "bank2"}),
            ("POST", "/v1/agency-terminations", {"institution": "bank2", "agency": "agB", "reason": "other"})):
        r = client.request(method, path, json=body, headers=admin2)
        assert r.status_code == 404, (path, r.text)


def test_an_integration_key_reaches_no_oversight_route(records):
    client, h, made = records
    key = h["integration"]
    for path in reads(made):
        r = client.get(path, headers=key)
        assert r.status_code == 403 and r.json()["code"] == "forbidden", path
    for method, path, body in writes(made):
        assert client.request(method, path, json=body, headers=key).status_code == 403, path
    assert upload(client, key, b"x").status_code == 403

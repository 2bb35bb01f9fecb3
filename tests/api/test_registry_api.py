"""登记簿接口 The registry over HTTP: create, read, list, change each entity; validation and duplicates;
masked personal data, audited reveals and reads; what an agency may see (art. 19–20)."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import admit, auth

DEBTOR = {"ref": "d100", "name": "赵六", "phone": "13712345678", "id_number": "110101199003071234",
          "address": "北京市朝阳区建国路88号"}


@pytest.fixture
def c(api):
    """(client, headers per role)."""
    client, tokens = api
    return client, {role: auth(token) for role, token in tokens.items()}


def ledger(client, headers, kind):
    r = client.get(f"/v1/ledger?kind={kind}", headers=headers)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def created(response):
    assert response.status_code == 201, response.text
    return response.json()


# -- institutions ------------------------------------------------------------------------------------
def test_institution_read_own_and_rename(c):
    client, h = c
    assert client.get("/v1/institutions/bank", headers=h["auditor"]).json()["name"] == "示例银行"
    page = client.get("/v1/institutions", headers=h["auditor"]).json()
    assert [i["id"] for i in page["items"]] == ["bank"] and page["total"] == 1
    r = client.patch("/v1/institutions/bank", json={"name": "示例银行股份有限公司"}, headers=h["institution_admin"])
    assert r.status_code == 200 and r.json()["name"] == "示例银行股份有限公司"
    assert ledger(client, h["auditor"], "registry:institution:updated")[0]["body"]["payload"] == {
        "name": "示例银行股份有限公司"}
    assert client.get("/v1/institutions/bank2", headers=h["institution_admin"]).status_code == 404
    assert client.patch("/v1/institutions/bank2", json={"name": "x"}, headers=h["institution_admin"]).status_code == 404


def test_patch_refuses_the_id_unknown_fields_empty_bodies_and_long_names(c):
    client, h = c
    admin = h["institution_admin"]
    for body, field in (({"id": "bank9"}, "id"), ({"name": "x" * 201}, "name"), ({}, None)):
        r = client.patch("/v1/institutions/bank", json=body, headers=admin)
        assert r.status_code == 422, body
        assert r.json()["field"] == field and r.json()["message_zh"] and r.json()["message_en"]


# -- server-made ids and the tenant's own references ---------------------------------------------------
PREFIXES = {"agency": "agc", "agreement": "agr", "collector": "col", "tool": "tool", "template": "tpl", "debtor": "dbt",
            "contact": "ctc", "debt": "debt"}


def creatable(institution, debtor):
    """One valid body per kind the API creates (without id or ref), for `institution`, whose debtor is `debtor`."""
    return {
        "agency": ("/v1/agencies", {"name": "丁催收"}),
        "agreement": ("/v1/agreements", {"institution": institution, "agency": "agA", "from": "2026-01-01",
                                         "to": "2026-12-31"}),
        "collector": ("/v1/collectors", {"org": institution, "kind": "human"}),
        "tool": ("/v1/tools", {"institution": institution, "type": "sms"}),
        "template": ("/v1/templates", {"institution": institution, "audience": "debtor", "channel": "sms",
                                       "text": "【示例银行】请按时还款。"}),
        "debtor": ("/v1/debtors", {"name": "赵六"}),
        "contact": ("/v1/contacts", {"debtor": debtor, "relation": "colleague"}),
        "debt": ("/v1/debts", {"institution": institution, "debtor": debtor, "product": "card"}),
    }


def test_every_create_refuses_a_client_id_and_says_to_send_a_ref(c):
    client, h = c
    admin = h["institution_admin"]
    for kind, (path, body) in creatable("bank", "d1").items():
        for ident in ("x1", "loan1", None):  # a new id, another object's id, even an empty one: all refused
            r = client.post(path, json={**body, "id": ident}, headers=admin)
            assert r.status_code == 422, (kind, ident, r.text)
            out = r.json()
            assert out["code"] == "invalid" and "ids are made by the server" in out["message_en"], kind
            assert "`ref`" in out["message_en"] and "ref" in out["message_zh"] and "服务器生成" in out["message_zh"]
        assert client.get(f"{path}/x1", headers=admin).status_code == 404, kind  # nothing was created
        made = created(client.post(path, json=body, headers=admin))["id"]
        prefix = f"{PREFIXES[kind]}_"
        assert made.startswith(prefix) and len(made) >= len(prefix) + 16, (kind, made)  # opaque, not guessable


def test_a_ref_is_unique_within_an_institution_and_free_across_them(c):
    client, h = c
    bank, bank2 = h["institution_admin"], h["bank2_admin"]
    mine, theirs = creatable("bank", "d1"), creatable("bank2", "d2")
    debtors_before = client.get("/v1/debtors", headers=bank).json()["total"]
    for kind, (path, body) in mine.items():
        # The same ref for every kind: a ref is unique per institution and kind.
        first = created(client.post(path, json={**body, "ref": "R-1"}, headers=bank))
        dup = client.post(path, json={**body, "ref": "R-1"}, headers=bank)
        assert dup.status_code == 409, (kind, dup.text)
        assert dup.json()["code"] == "duplicate-ref" and dup.json()["field"] == "ref", kind
        assert "R-1" in dup.json()["message_en"] and "R-1" in dup.json()["message_zh"]
        other_path, other_body = theirs[kind]
        second = created(client.post(other_path, json={**other_body, "ref": "R-1"}, headers=bank2))
        assert second["id"] != first["id"], kind
        # Each institution's ref leads to its own object, never the other's.
        assert client.get(f"/v1/refs/{kind}/R-1", headers=bank).json()["id"] == first["id"], kind
        assert client.get(f"/v1/refs/{kind}/R-1", headers=bank2).json()["id"] == second["id"], kind
    assert client.get("/v1/refs/debtor/R-2", headers=bank).status_code == 404
    # A refused duplicate left nothing behind.
    assert client.get("/v1/debtors", headers=bank).json()["total"] == debtors_before + 1
    assert client.get("/v1/contacts?debtor=d1", headers=bank).json()["total"] == 2  # k1 and R-1's


# -- agencies and subcontractor approvals -------------------------------------------------------------
def test_agency_create_makes_an_unlisted_record_listed_only_under_an_agreement(c):
    client, h = c
    admin = h["institution_admin"]
    body = created(client.post("/v1/agencies", json={"ref": "agC", "name": "丙催收"}, headers=admin))
    agc = body["id"]
    assert agc.startswith("agc_") and body["name"] == "丙催收"
    assert body["listing_status"] is None and body["subcontractor_approved"] is False
    created_events = ledger(client, h["auditor"], "registry:agency:created")
    assert [e["subject"] for e in created_events if e["subject"] == agc] == [agc]
    ids = [a["id"] for a in client.get("/v1/agencies?status=active", headers=admin).json()["items"]]
    assert ids == ["agA", "agB"]  # not listed by creating it
    # Listing needs an agreement first (art. 17(三)).
    early = client.post("/v1/agency-status", json={"institution": "bank", "agency": agc, "status": "active"},
                        headers=admin)
    assert early.status_code == 409 and early.json()["code"] == "art17-agreement-active"
    assert early.json()["field"] == "agency"
    created(client.post("/v1/agreements", json={"institution": "bank", "agency": agc, "from": "2026-01-01",
                                                "to": "2026-12-31"}, headers=admin))
    assert client.get(f"/v1/agencies/{agc}", headers=h["auditor"]).json()["listing_status"] is None
    # Then a passed admission evaluation and the three written commitments (art. 17(一)(二)).
    unadmitted = client.post("/v1/agency-status", json={"institution": "bank", "agency": agc, "status": "active"},
                             headers=admin)
    assert unadmitted.status_code == 409, unadmitted.text
    assert {d["rule"] for d in unadmitted.json()["details"]} == {"art17-agency-admission", "art17-commitments"}
    admit(client, admin, "bank", agc)
    listed = client.post("/v1/agency-status", json={"institution": "bank", "agency": agc, "status": "active"},
                         headers=admin)
    assert listed.status_code == 200, listed.text
    out = client.get(f"/v1/agencies/{agc}", headers=h["auditor"]).json()
    assert out["name"] == "丙催收" and out["listing_status"] == "active"
    ids = [a["id"] for a in client.get("/v1/agencies?status=active", headers=admin).json()["items"]]
    assert ids == ["agA", "agB", agc]
    # bank2 does not work with it: not found, and not in its list.
    assert client.get(f"/v1/agencies/{agc}", headers=h["bank2_admin"]).status_code == 404
    assert [a["id"] for a in client.get("/v1/agencies", headers=h["bank2_admin"]).json()["items"]] == ["agA"]
    dup = client.post("/v1/agencies", json={"ref": "agC"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-ref" and dup.json()["field"] == "ref"
    for listed_by in (["bank"], ["bank2"]):  # a name list is never written by registering an agency
        other = client.post("/v1/agencies", json={"ref": "agD", "listed_by": listed_by}, headers=admin)
        assert other.status_code == 422 and other.json()["field"] == "listed_by", listed_by
        assert "/v1/agreements" in other.json()["message_en"]


def test_subcontractor_is_approved_in_advance(c):
    client, h = c
    admin = h["institution_admin"]
    sub = created(client.post("/v1/agencies", json={"ref": "agA-sub", "parent": "agA"}, headers=admin))
    sub_id = sub["id"]
    assert sub["parent_id"] == "agA" and sub["listing_status"] is None and sub["subcontractor_approved"] is False
    ok = client.post("/v1/subcontractor-approvals", json={"agency": sub_id}, headers=admin)
    assert created(ok) == {"institution_id": "bank", "agency_id": sub_id}
    assert client.get(f"/v1/agencies/{sub_id}", headers=admin).json()["subcontractor_approved"] is True
    assert client.get(f"/v1/subcontractor-approvals/{sub_id}", headers=h["auditor"]).status_code == 200
    assert client.get("/v1/subcontractor-approvals", headers=h["auditor"]).json()["total"] == 1
    assert client.post("/v1/subcontractor-approvals", json={"agency": sub_id}, headers=admin).status_code == 409
    top = client.post("/v1/subcontractor-approvals", json={"agency": "agB"}, headers=admin)
    assert top.status_code == 422 and top.json()["field"] == "agency"
    hidden = client.post("/v1/agencies", json={"ref": "agB-sub", "parent": "agB"}, headers=h["bank2_admin"])
    assert hidden.status_code == 404 and hidden.json()["field"] == "parent"  # bank2 does not work with agB
    assert ledger(client, h["auditor"], "registry:subcontractor-approval:created")[0]["subject"] == sub_id


# -- agreements, collectors, tools ------------------------------------------------------------------
def test_agreements(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"ref": "ag-2026-b", "institution": "bank", "agency": "agB", "from": "2026-01-01", "to": "2026-12-31"}
    out = created(client.post("/v1/agreements", json=body, headers=admin))
    ag = out["id"]
    assert ag.startswith("agr_") and out["valid_to"] == "2026-12-31"
    dup = client.post("/v1/agreements", json=body, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-ref"
    backwards = client.post("/v1/agreements", json={**body, "ref": "ag3", "to": "2025-01-01"}, headers=admin)
    assert backwards.status_code == 422
    foreign = client.post("/v1/agreements", json={**body, "ref": "ag4", "institution": "bank2"}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "institution"
    unknown = client.post("/v1/agreements", json={**body, "ref": "ag5", "agency": "agZ"}, headers=admin)
    assert unknown.status_code == 404 and unknown.json()["field"] == "agency"
    # Any registered agency may be entrusted: bank2 signs with agB, which it did not work with before.
    theirs = created(client.post("/v1/agreements", json={**body, "institution": "bank2"}, headers=h["bank2_admin"]))
    assert theirs["institution_id"] == "bank2" and theirs["agency_id"] == "agB" and theirs["id"] != ag
    r = client.patch(f"/v1/agreements/{ag}", json={"to": "2027-06-30", "subcontracting": True}, headers=admin)
    assert r.status_code == 200 and r.json()["valid_to"] == "2027-06-30" and r.json()["subcontracting"] is True
    bad = client.patch(f"/v1/agreements/{ag}", json={"to": "2025-01-01"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    null = client.patch(f"/v1/agreements/{ag}", json={"to": None}, headers=admin)
    assert null.status_code == 422 and null.json()["field"] == "to"
    listed = client.get("/v1/agreements?agency=agB&active_on=2027-03-01", headers=h["auditor"]).json()
    assert [a["id"] for a in listed["items"]] == [ag]
    assert client.get(f"/v1/agreements/{ag}", headers=h["bank2_admin"]).status_code == 404
    assert client.get(f"/v1/agreements/{theirs['id']}", headers=admin).status_code == 404
    assert client.patch(f"/v1/agreements/{theirs['id']}", json={"to": "2027-01-01"}, headers=admin).status_code == 404


def test_an_agencys_collectors_are_written_by_its_own_key_only(c):
    client, h = c
    admin, own = h["institution_admin"], h["agency_admin"]
    body = {"org": "agA", "kind": "human", "last_training": "2026-02-01"}
    # An institution that works with agA may not write agA's people: 403.
    refused = client.post("/v1/collectors", json=body, headers=admin)
    assert refused.status_code == 403 and refused.json()["field"] == "org"
    out = created(client.post("/v1/collectors", json=body, headers=own))
    c2 = out["id"]
    assert c2.startswith("col_") and out["pledge_signed"] is False and out["org_id"] == "agA"
    change = {"pledge_signed": True, "pre_job_exam": "2026-02-01"}
    assert client.patch(f"/v1/collectors/{c2}", json=change, headers=admin).status_code == 403
    r = client.patch(f"/v1/collectors/{c2}", json=change, headers=own)
    assert r.status_code == 200 and r.json()["pledge_signed"] is True and r.json()["pre_job_exam"] == "2026-02-01"
    # The shared record's change is in the ledger of every institution that entrusts agA.
    for reader in ("auditor", "bank2_admin"):
        payload = ledger(client, h[reader], "registry:collector:updated")[0]["body"]["payload"]
        assert payload == {"pledge_signed": True, "pre_job_exam": "2026-02-01"}, reader
    null = client.patch(f"/v1/collectors/{c2}", json={"approved": None}, headers=own)
    assert null.status_code == 422 and null.json()["field"] == "approved"
    status = client.patch(f"/v1/collectors/{c2}", json={"status": "removed"}, headers=own)
    assert status.status_code == 422 and status.json()["field"] == "status"  # status changes by event
    assert client.get(f"/v1/collectors/{c2}/trainings", headers=h["auditor"]).json() == [
        {"day": "2026-02-01", "recognised_by": None}]
    # Organisations the caller does not work with: not found, for either kind of key.
    for org, headers in (("bank2", admin), ("agB", own), ("bank", own), ("agB", h["bank2_admin"])):
        foreign = client.post("/v1/collectors", json={**body, "org": org}, headers=headers)
        assert foreign.status_code == 404 and foreign.json()["field"] == "org", org
    assert client.patch("/v1/collectors/bot1", json={"approved": False}, headers=own).status_code == 404
    kinds = client.get("/v1/collectors?org=agA&kind=human", headers=h["auditor"]).json()
    assert [x["id"] for x in kinds["items"]] == ["c1", c2]
    assert client.get("/v1/collectors/bot1", headers=h["bank2_admin"]).status_code == 404
    wrong = client.post("/v1/collectors", json={**body, "kind": "robot"}, headers=own)
    assert wrong.status_code == 422 and wrong.json()["field"] == "kind"


def test_an_institution_writes_its_in_house_collectors(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"ref": "bot2", "org": "bank", "kind": "ai_agent", "approved": True}
    out = created(client.post("/v1/collectors", json=body, headers=admin))
    assert out["org_id"] == "bank" and out["approved"] is True and out["institution_status"] is None
    r = client.patch(f"/v1/collectors/{out['id']}", json={"approved": False}, headers=admin)
    assert r.status_code == 200 and r.json()["approved"] is False
    assert ledger(client, h["auditor"], "registry:collector:updated")[0]["body"]["payload"] == {"approved": False}
    assert client.get(f"/v1/collectors/{out['id']}", headers=h["bank2_admin"]).status_code == 404
    assert client.patch(f"/v1/collectors/{out['id']}", json={"approved": True},
                        headers=h["bank2_admin"]).status_code == 404


def test_an_institution_recognises_trainings_and_suspends_an_agencys_collector_for_itself(c):
    client, h = c
    admin, own = h["institution_admin"], h["agency_admin"]
    # bank recognises a training of agA's c1: for bank only; the shared record keeps its own trainings.
    r = client.post("/v1/trainings", json={"collector": "c1", "date": "2026-04-01"}, headers=admin)
    assert r.status_code == 200, r.text
    mine = client.get("/v1/collectors/c1", headers=h["auditor"]).json()
    assert mine["recognised_training"] == "2026-04-01" and mine["last_training"] == "2026-01-05"
    theirs = client.get("/v1/collectors/c1", headers=h["bank2_admin"]).json()
    assert theirs["recognised_training"] is None and theirs["last_training"] == "2026-01-05"
    assert client.get("/v1/collectors/c1/trainings", headers=h["auditor"]).json() == [
        {"day": "2026-01-05", "recognised_by": None}, {"day": "2026-04-01", "recognised_by": "bank"}]
    assert client.get("/v1/collectors/c1/trainings", headers=h["bank2_admin"]).json() == [
        {"day": "2026-01-05", "recognised_by": None}]
    # bank suspends c1 for itself: its own status, not the shared one, and not bank2's.
    r = client.post("/v1/collector-status", json={"collector": "c1", "status": "suspended"}, headers=admin)
    assert r.status_code == 200, r.text
    mine = client.get("/v1/collectors/c1", headers=h["auditor"]).json()
    assert mine["institution_status"] == "suspended" and mine["status"] == "active"
    theirs = client.get("/v1/collectors/c1", headers=h["bank2_admin"]).json()
    assert theirs["institution_status"] is None and theirs["status"] == "active"
    assert client.get("/v1/collectors/c1", headers=own).json()["status"] == "active"
    # The agency's own key changes the shared record, which every institution reads.
    r = client.post("/v1/trainings", json={"collector": "c1", "date": "2026-05-01"}, headers=own)
    assert r.status_code == 200, r.text
    assert client.get("/v1/collectors/c1", headers=h["bank2_admin"]).json()["last_training"] == "2026-05-01"
    assert client.get("/v1/collectors/c1/trainings", headers=h["bank2_admin"]).json() == [
        {"day": "2026-01-05", "recognised_by": None}, {"day": "2026-05-01", "recognised_by": None}]
    r = client.post("/v1/collector-status", json={"collector": "c1", "status": "suspended"}, headers=own)
    assert r.status_code == 200, r.text
    assert client.get("/v1/collectors/c1", headers=h["bank2_admin"]).json()["status"] == "suspended"
    # Neither key reaches a collector of an organisation it does not belong to or work with.
    assert client.post("/v1/collector-status", json={"collector": "bot1", "status": "suspended"},
                       headers=own).status_code == 404
    assert client.post("/v1/trainings", json={"collector": "bot1", "date": "2026-05-01"},
                       headers=h["bank2_admin"]).status_code == 404


def test_tools(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"ref": "tel-agA", "institution": "bank", "type": "phone", "official": True, "org": "agA",
            "active_from": "2026-01-01"}
    out = created(client.post("/v1/tools", json=body, headers=admin))
    tool = out["id"]
    assert tool.startswith("tool_") and out["org_id"] == "agA"
    r = client.patch(f"/v1/tools/{tool}", json={"filed": True, "active_to": "2026-12-31"}, headers=admin)
    assert r.status_code == 200 and r.json()["filed"] is True
    bad = client.patch(f"/v1/tools/{tool}", json={"active_to": "2025-12-31"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "active_to"
    assert client.patch(f"/v1/tools/{tool}", json={"org": "agZ"}, headers=admin).status_code == 404
    assert client.patch(f"/v1/tools/{tool}", json={"org": "agA"}, headers=h["bank2_admin"]).status_code == 404
    on = client.get("/v1/tools?type=phone&active_on=2026-06-01", headers=h["auditor"]).json()
    assert [t["id"] for t in on["items"]] == ["tel", tool]
    assert client.get("/v1/tools?active_on=2027-06-01&org=agA", headers=h["auditor"]).json()["total"] == 0
    assert client.get("/v1/tools/tel", headers=h["bank2_admin"]).status_code == 404


# -- templates --------------------------------------------------------------------------------------
def test_templates_start_pending_and_are_approved_separately(c):
    client, h = c
    admin, officer = h["institution_admin"], h["compliance_officer"]
    body = {"ref": "t-new", "institution": "bank", "audience": "debtor", "channel": "sms",
            "text": "【示例银行】您的借款已逾期，请通过官方App还款。"}
    t = created(client.post("/v1/templates", json=body, headers=admin))
    new = t["id"]
    assert new.startswith("tpl_")
    assert t["current"] == {"version": 1, "text": body["text"], "sealed": False, "status": "pending"}
    self_approved = client.post("/v1/templates", json={**body, "ref": "t-x", "approved": True}, headers=admin)
    assert self_approved.status_code == 422 and self_approved.json()["field"] == "approved"
    assert client.post(f"/v1/templates/{new}/approve", json={"version": 1}, headers=h["auditor"]).status_code == 403
    assert client.post(f"/v1/templates/{new}/approve", headers=officer).status_code == 422  # no body
    unnamed = client.post(f"/v1/templates/{new}/approve", json={}, headers=officer)  # it names the version reviewed
    assert unnamed.status_code == 422 and unnamed.json()["field"] == "version", unnamed.text
    ok = client.post(f"/v1/templates/{new}/approve", json={"version": 1}, headers=officer)
    assert ok.status_code == 200 and ok.json()["current"]["status"] == "approved"
    again = client.post(f"/v1/templates/{new}/approve", json={"version": 1}, headers=officer)
    assert again.status_code == 409 and again.json()["code"] == "template-not-pending"
    v2 = created(client.post(f"/v1/templates/{new}/versions", json={"text": "【示例银行】请及时还款。"}, headers=admin))
    assert v2["current_version"] == 2 and v2["current"]["status"] == "pending"
    assert client.post(f"/v1/templates/{new}/reject", headers=officer).json()["current"]["status"] == "rejected"
    versions = client.get(f"/v1/templates/{new}/versions", headers=h["auditor"]).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "approved"), (2, "rejected")]
    assert client.patch(f"/v1/templates/{new}", json={"active": False}, headers=admin).json()["active"] is False
    rejected = client.get("/v1/templates?status=rejected&channel=sms", headers=h["auditor"]).json()
    assert [x["id"] for x in rejected["items"]] == [new]
    assert client.get("/v1/templates?active=true", headers=h["auditor"]).json()["total"] == 2
    kinds = [r["kind"] for r in ledger(client, h["auditor"], "template:")]
    assert kinds == ["template:version:approved", "template:version:created", "template:version:rejected"]
    assert client.get(f"/v1/templates/{new}", headers=h["bank2_admin"]).status_code == 404
    assert client.post(f"/v1/templates/{new}/approve", json={"version": 2}, headers=h["bank2_admin"]).status_code == 404


def test_a_template_that_fails_review_stays_pending_with_its_findings(c):
    client, h = c
    body = {"ref": "t-bad", "institution": "bank", "audience": "debtor", "channel": "sms",
            "text": "【示例银行】再不还款我们就上门到你单位，让你全家知道你欠钱。"}
    bad = created(client.post("/v1/templates", json=body, headers=h["institution_admin"]))["id"]
    r = client.post(f"/v1/templates/{bad}/approve", json={"version": 1}, headers=h["compliance_officer"])
    assert r.status_code == 409 and r.json()["code"] == "template-lint-failed"
    assert r.json()["details"][0]["rule"] == "art7-collection-target"
    assert client.get(f"/v1/templates/{bad}", headers=h["auditor"]).json()["current"]["status"] == "pending"


# -- debtors: masked by default, audited reveals ------------------------------------------------------
def test_debtor_is_masked_by_default_and_every_read_is_recorded(c):
    client, h = c
    out = created(client.post("/v1/debtors", json=DEBTOR, headers=h["institution_admin"]))
    d100 = out["id"]
    assert d100.startswith("dbt_")
    assert out == {"id": d100, "institution_id": "bank", "name": "赵*", "phone": "137****5678",
                   "id_number": "110***********1234", "address": "北京市朝阳区****", "timezone": "Asia/Shanghai",
                   "status": "normal", "status_reason": None, "view": "masked"}
    for role in ("institution_admin", "compliance_officer", "auditor"):
        r = client.get(f"/v1/debtors/{d100}", headers=h[role])
        assert r.status_code == 200 and r.json()["phone"] == "137****5678", role
    reads = ledger(client, h["auditor"], "privacy:pii:read")
    assert [(x["subject"], x["body"]["payload"]["role"]) for x in reads] == [
        (d100, "institution_admin"), (d100, "compliance_officer"), (d100, "auditor")]
    assert reads[0]["body"]["payload"]["ids"] == [d100] and reads[0]["body"]["payload"]["key_id"]
    listed = client.get("/v1/debtors", headers=h["auditor"]).json()
    assert [d["id"] for d in listed["items"]] == ["d1", "d3", d100]  # bank's own and its debts' debtors, by id
    page_read = ledger(client, h["auditor"], "privacy:pii:read")[-1]
    assert page_read["subject"] == "debtors" and page_read["body"]["payload"]["ids"] == ["d1", "d3", d100]
    assert "13712345678" not in json.dumps(ledger(client, h["auditor"], "registry:debtor:"), ensure_ascii=False)


def test_reveal_needs_the_permission_and_a_reason_and_is_recorded(c):
    client, h = c
    d100 = created(client.post("/v1/debtors", json=DEBTOR, headers=h["institution_admin"]))["id"]
    no_reason = client.get(f"/v1/debtors/{d100}?reveal=true", headers=h["compliance_officer"])
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert "complaint" in no_reason.json()["message_en"] and "投诉处理" in no_reason.json()["message_zh"]
    # The reason is a category: free text (where an agent would type who and which number) is refused.
    free = client.get(f"/v1/debtors/{d100}?reveal=true&reason=核实身份以处理投诉", headers=h["compliance_officer"])
    assert free.status_code == 422 and free.json()["field"] == "reason"
    other = client.get(f"/v1/debtors/{d100}?reveal=true&reason=other&note=%20%20", headers=h["compliance_officer"])
    assert other.status_code == 422 and other.json()["field"] == "note"
    long = client.get(f"/v1/debtors/{d100}", params={"reveal": "true", "reason": "complaint", "note": "x" * 61},
                      headers=h["compliance_officer"])
    assert long.status_code == 422 and long.json()["field"] == "note"
    assert client.get(f"/v1/debtors/{d100}?reveal=true&reason=complaint", headers=h["auditor"]).status_code == 403
    r = client.get(f"/v1/debtors/{d100}", params={"reveal": "true", "reason": "complaint",
                                               "note": "工单 C-2026-0042 来电13712345678"},
                   headers=h["compliance_officer"])
    assert r.status_code == 200, r.text
    assert r.json() | {} == {**r.json(), "name": "赵六", "phone": "13712345678", "id_number": "110101199003071234",
                             "address": "北京市朝阳区建国路88号", "view": "revealed"}
    revealed = ledger(client, h["auditor"], "privacy:pii:revealed")
    assert len(revealed) == 1 and revealed[0]["subject"] == d100
    payload = revealed[0]["body"]["payload"]
    assert payload["role"] == "compliance_officer" and payload["reason"] == "complaint"
    assert payload["note"] == "工单 C-2026-0042 来电137****5678"
    assert payload["fields"] == ["name", "phone", "id_number", "address"] and payload["key_id"]
    text = json.dumps(revealed, ensure_ascii=False)
    assert "13712345678" not in text and "赵六" not in text and "110101199003071234" not in text


def test_debtor_changes_are_reencrypted_and_logged_without_values(c):
    client, h = c
    admin = h["institution_admin"]
    d100 = created(client.post("/v1/debtors", json=DEBTOR, headers=admin))["id"]
    r = client.patch(f"/v1/debtors/{d100}", json={"phone": "13900001111", "address": None, "timezone": "Asia/Urumqi"},
                     headers=admin)
    assert r.status_code == 200 and r.json()["phone"] == "139****1111" and r.json()["address"] is None
    assert r.json()["timezone"] == "Asia/Urumqi"
    update = ledger(client, h["auditor"], "registry:debtor:updated")[0]["body"]["payload"]
    assert update == {"fields": ["address", "phone", "timezone"], "timezone": "Asia/Urumqi"}
    bad_zone = client.patch(f"/v1/debtors/{d100}", json={"timezone": "Mars/Olympus"}, headers=admin)
    assert bad_zone.status_code == 422 and bad_zone.json()["field"] == "timezone"
    status = client.patch(f"/v1/debtors/{d100}", json={"status": "deceased"}, headers=admin)
    assert status.status_code == 422 and status.json()["field"] == "status"
    dup = client.post("/v1/debtors", json=DEBTOR, headers=admin)  # the same ref again
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-ref" and dup.json()["field"] == "ref"
    nul = client.post("/v1/debtors", json={**DEBTOR, "ref": "d101", "timezone": "Asia/Shanghai\x00"}, headers=admin)
    assert nul.status_code == 422


def test_debtors_are_paginated(c):
    client, h = c
    admin = h["institution_admin"]
    made = sorted(created(client.post("/v1/debtors", json={"ref": f"p{i}", "name": "钱七"}, headers=admin))["id"]
                  for i in range(7))
    page = client.get("/v1/debtors?limit=3&offset=3", headers=admin).json()
    assert page["total"] == 9 and page["limit"] == 3 and page["offset"] == 3
    assert [d["id"] for d in page["items"]] == made[1:4]  # d1, d3, then the server-made ids, in id order
    assert client.get("/v1/debtors?offset=9", headers=admin).json()["items"] == []
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"), ("status=x", "status")):
        r = client.get(f"/v1/debtors?{query}", headers=admin)
        assert r.status_code == 422 and r.json()["field"].endswith(field), query  # "query.limit" today
    assert client.get("/v1/debtors?status=normal&limit=500", headers=admin).json()["total"] == 9


def test_malformed_ids_and_unstorable_text_are_422_never_500(c):
    client, h = c
    admin = h["institution_admin"]
    for path in ("/v1/debtors/a%00b", "/v1/debts/%3B", "/v1/tools/" + "x" * 65, "/v1/debts?product=a%00b",
                 "/v1/debtors?offset=99999999999", "/v1/placements/0", "/v1/debtor-agreements/99999999999"):
        assert client.get(path, headers=admin).status_code == 422, path
    for path, body, field in (("/v1/agencies", {"ref": "agN", "name": "a\x00b"}, "name"),
                              ("/v1/debts", {"ref": "l9", "institution": "bank", "debtor": "d1", "product": "a\x00"},
                               "product"),
                              ("/v1/templates", {"ref": "t9", "institution": "bank", "audience": "debtor",
                                                 "channel": "sms", "text": "【示例银行】\x00"}, "text")):
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, path


# -- contacts -----------------------------------------------------------------------------------------
def test_contacts(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"ref": "k2", "debtor": "d1", "relation": "spouse", "name": "孙八", "phone": "13600136000"}
    out = created(client.post("/v1/contacts", json=body, headers=admin))
    k2 = out["id"]
    assert k2.startswith("ctc_") and out["debtor_id"] == "d1"
    assert out["name"] == "孙*" and out["phone"] == "136****6000" and out["refused"] is False
    dup = client.post("/v1/contacts", json={**body, "name": "周九"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-ref" and dup.json()["field"] == "ref"
    assert client.post("/v1/contacts", json={**body, "ref": "k3", "debtor": "d2"}, headers=admin).status_code == 404
    long = client.post("/v1/contacts", json={**body, "ref": "k4", "relation": "x" * 65}, headers=admin)
    assert long.status_code == 422 and long.json()["field"] == "relation"
    r = client.patch(f"/v1/contacts/{k2}", json={"offers_to_repay": True, "phone": "13600001234"}, headers=admin)
    assert r.status_code == 200 and r.json()["offers_to_repay"] is True and r.json()["phone"] == "136****1234"
    listed = client.get("/v1/contacts?debtor=d1", headers=h["auditor"]).json()
    assert [k["id"] for k in listed["items"]] == [k2, "k1"]  # by id: "ctc_…" before "k1"
    assert client.get(f"/v1/contacts/{k2}", headers=h["auditor"]).json()["name"] == "孙*"
    reads = ledger(client, h["auditor"], "privacy:pii:read")
    assert [(x["subject"], x["body"]["payload"]["ids"]) for x in reads] == [("contacts", [k2, "k1"]), (k2, [k2])]
    assert client.get(f"/v1/contacts/{k2}", headers=h["bank2_admin"]).status_code == 404


# -- debts --------------------------------------------------------------------------------------------
def test_debts_with_guarantors_and_decimal_amounts(c):
    client, h = c
    admin = h["institution_admin"]
    d100 = created(client.post("/v1/debtors", json=DEBTOR, headers=admin))["id"]
    body = {"ref": "loan100", "institution": "bank", "debtor": d100, "product": "cash-loan", "guarantors": ["d3"],
            "overdue_amount": "3200.5", "overdue_since": "2026-03-01"}
    out = created(client.post("/v1/debts", json=body, headers=admin))
    loan100 = out["id"]
    assert loan100.startswith("debt_") and out["debtor_id"] == d100
    assert out["overdue_amount"] == "3200.50" and out["repaid_total"] == "0.00" and out["guarantors"] == ["d3"]
    dup = client.post("/v1/debts", json=body, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-ref" and dup.json()["field"] == "ref"
    cents = client.post("/v1/debts", json={**body, "ref": "loan101", "overdue_amount": "1.001"}, headers=admin)
    assert cents.status_code == 422 and cents.json()["field"] == "overdue_amount"
    foreign = client.post("/v1/debts", json={**body, "ref": "loan102", "guarantors": ["d2"]}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "guarantors" and "李四" not in foreign.text
    r = client.patch(f"/v1/debts/{loan100}", json={"overdue_amount": "3560.75", "guarantors": []}, headers=admin)
    assert r.status_code == 200 and r.json()["overdue_amount"] == "3560.75" and r.json()["guarantors"] == []
    assert client.patch(f"/v1/debts/{loan100}", json={"product": None}, headers=admin).status_code == 422
    listed = client.get(f"/v1/debts?debtor={d100}&status=open", headers=h["auditor"]).json()
    assert [d["id"] for d in listed["items"]] == [loan100]
    assert client.get("/v1/debts?product=card", headers=h["auditor"]).json()["total"] == 1  # loan3; loan2 is bank2's
    assert client.get("/v1/debts/loan2", headers=h["institution_admin"]).status_code == 404


# -- placements and debtor agreements ------------------------------------------------------------------
def test_placements_list_read_and_change(c):
    client, h = c
    admin = h["institution_admin"]
    later = {"debt": "loan1", "agency": "agB", "from": "2026-07-01", "to": "2026-08-31"}
    assert client.post("/v1/placements", json=later, headers=admin).status_code == 200
    items = client.get("/v1/placements?debt=loan1", headers=h["auditor"]).json()["items"]
    assert [(p["agency_id"], p["valid_from"]) for p in items] == [("agA", "2026-05-01"), ("agB", "2026-07-01")]
    first, second = items[0]["id"], items[1]["id"]
    assert client.get(f"/v1/placements/{first}", headers=h["auditor"]).json()["valid_to"] == "2026-06-30"
    overlap = client.patch(f"/v1/placements/{first}", json={"to": "2026-07-15"}, headers=admin)
    assert overlap.status_code == 409 and overlap.json()["code"] == "art17-single-agency"
    early = client.patch(f"/v1/placements/{second}", json={"to": "2026-07-31"}, headers=admin)
    assert early.status_code == 200 and early.json()["valid_to"] == "2026-07-31"
    assert client.get("/v1/placements?active_on=2026-07-20", headers=h["auditor"]).json()["total"] == 1
    assert client.get(f"/v1/placements/{first}", headers=h["bank2_admin"]).status_code == 404
    assert client.get("/v1/placements/999999", headers=admin).status_code == 404
    assert client.get("/v1/placements/99999999999", headers=admin).status_code == 422


def test_debtor_agreements(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"debtor": "d1", "institution": "bank", "voice_cap": 1,
            "windows": [{"from": "18:00", "to": "20:00", "days": ["mon", "wed"]}]}
    out = created(client.post("/v1/debtor-agreements", json=body, headers=admin))
    assert out["windows"] == [{"from": "18:00", "to": "20:00", "days": ["mon", "wed"]}] and out["voice_cap"] == 1
    dup = client.post("/v1/debtor-agreements", json=body, headers=admin)
    assert dup.status_code == 409 and dup.json()["field"] == "debtor"
    bad = client.post("/v1/debtor-agreements", json={**body, "debtor": "d3", "windows": [{"from": "25:00", "to": "26:00"}]},
                      headers=admin)
    assert bad.status_code == 422 and bad.json()["field"].startswith("windows")
    r = client.patch(f"/v1/debtor-agreements/{out['id']}", json={"windows": [{"from": "19:00", "to": "20:00"}],
                                                                  "voice_cap": None}, headers=admin)
    assert r.status_code == 200 and r.json()["windows"] == [{"from": "19:00", "to": "20:00", "days": None}]
    assert r.json()["voice_cap"] is None
    assert client.get(f"/v1/debtor-agreements/{out['id']}", headers=h["auditor"]).status_code == 200
    assert client.get("/v1/debtor-agreements?debtor=d1", headers=h["auditor"]).json()["total"] == 1
    assert client.get(f"/v1/debtor-agreements/{out['id']}", headers=h["bank2_admin"]).status_code == 404
    foreign = client.post("/v1/debtor-agreements", json={**body, "debtor": "d2"}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "debtor"


# -- what an agency sees (art. 20(三)) ------------------------------------------------------------------
def test_agency_sees_only_placed_debts_with_minimum_fields(c):
    client, h = c
    admin, agency = h["institution_admin"], h["agency_operator"]
    client.patch("/v1/debts/loan1", json={"guarantors": ["d3"]}, headers=admin)
    tool = created(client.post("/v1/tools", json={"ref": "tel-agA", "institution": "bank", "type": "phone",
                                                  "org": "agA"}, headers=admin))["id"]

    debtor = client.get("/v1/debtors/d1", headers=agency).json()
    assert debtor["view"] == "agency" and debtor["name"] == "张*" and debtor["phone"] == "138****8000"
    assert debtor["id_number"] is None and debtor["address"] is None and debtor["status_reason"] is None
    debt = client.get("/v1/debts/loan1", headers=agency).json()
    assert debt["overdue_amount"] == "3200.00" and debt["product"] == "cash-loan" and debt["guarantors"] is None
    assert [d["id"] for d in client.get("/v1/debts", headers=agency).json()["items"]] == ["loan1"]
    assert [d["id"] for d in client.get("/v1/debtors", headers=agency).json()["items"]] == ["d1"]  # not guarantor d3
    assert [k["id"] for k in client.get("/v1/contacts", headers=agency).json()["items"]] == ["k1"]
    assert [x["id"] for x in client.get("/v1/collectors", headers=agency).json()["items"]] == ["c1"]
    assert [t["id"] for t in client.get("/v1/tools", headers=agency).json()["items"]] == [tool]
    assert [a["id"] for a in client.get("/v1/agencies", headers=agency).json()["items"]] == ["agA"]
    assert client.get("/v1/placements", headers=agency).json()["total"] == 1
    for path in ("/v1/debts/loan3", "/v1/debtors/d3", "/v1/collectors/bot1", "/v1/tools/tel", "/v1/agencies/agB"):
        assert client.get(path, headers=agency).status_code == 404, path
    for path in ("/v1/templates", "/v1/agreements", "/v1/debtor-agreements", "/v1/institutions/bank"):
        assert client.get(path, headers=agency).status_code == 403, path
    assert client.get("/v1/debtors/d1?reveal=true&reason=complaint", headers=agency).status_code == 403


def test_agency_loses_sight_when_the_placement_ends(c, clock):
    from tests.factories import at

    client, h = c
    clock.now = at("2026-07-01 10:00")  # the placement of loan1 with agA ended on 2026-06-30
    agency = h["agency_operator"]
    for path in ("/v1/debts/loan1", "/v1/debtors/d1", "/v1/contacts/k1"):
        assert client.get(path, headers=agency).status_code == 404, path
    assert client.get("/v1/debts", headers=agency).json()["total"] == 0
    assert client.get("/v1/debts/loan1", headers=h["auditor"]).status_code == 200


# -- the OpenAPI document and the offline docs page ------------------------------------------------------
def test_openapi_documents_every_registry_operation_with_examples(c):
    client, _ = c
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    ops = {(method.upper(), path): op for path, item in doc["paths"].items() for method, op in item.items()
           if path.startswith(("/v1/debtors", "/v1/debts", "/v1/templates", "/v1/agencies", "/v1/contacts"))}
    assert len(ops) >= 20
    for key, op in ops.items():
        assert op["summary"] and op["tags"], key
        assert {"401", "403", "404", "422"} <= set(op["responses"]), key
    for path in ("/v1/debtors", "/v1/debts", "/v1/agencies", "/v1/templates", "/v1/contacts"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["examples"], path
    schemas = doc["components"]["schemas"]
    assert schemas["DebtorOut"]["examples"][0]["phone"] == "138****8000"
    assert schemas["DebtOut"]["examples"][0]["overdue_amount"] == "3200.00"


def test_docs_page_is_served_offline(c):
    client, _ = c
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    assert "/openapi.json" in page.text
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
                        ("favicon.png", "image/png")):
        assert f"/docs/assets/{asset}" in page.text
        r = client.get(f"/docs/assets/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"] and len(r.content) > 1000, asset
    assert client.get("/docs/assets/..%2F..%2Fcore.py").status_code == 404
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 404


def test_submitting_a_template_returns_the_review_findings_that_block_approval(api):
    from tests.api.conftest import auth as _auth

    client, tokens = api
    admin = _auth(tokens["institution_admin"])
    body = {"ref": "t-bad", "institution": "bank", "audience": "contact", "channel": "sms",
            "text": "请转告他，欠款{overdue_amount}元再不还就上门。"}
    created = client.post("/v1/templates", json=body, headers=admin)
    assert created.status_code == 201, created.text
    bad = created.json()["id"]
    categories = {f["category"] for f in created.json()["review_findings"]}
    assert {"third-party-disclosure", "identity-not-stated"} <= categories
    refused = client.post(f"/v1/templates/{bad}/approve", json={"version": 1}, headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "template-lint-failed"
    assert refused.json()["details"]
    fixed = client.post(f"/v1/templates/{bad}/versions", json={"text": "【示例银行】请转告{debtor_name}尽快回电95555。"},
                        headers=admin)
    assert fixed.status_code == 201 and fixed.json()["review_findings"] == []
    stale = client.post(f"/v1/templates/{bad}/approve", json={"version": 1}, headers=admin)  # v1 was reviewed
    assert stale.status_code == 409 and stale.json()["code"] == "template-version-changed", stale.text
    assert client.get(f"/v1/templates/{bad}", headers=admin).json()["current"] == {
        "version": 2, "text": "【示例银行】请转告{debtor_name}尽快回电95555。", "sealed": False, "status": "pending"}
    assert client.post(f"/v1/templates/{bad}/approve", json={"version": 2}, headers=admin).status_code == 200

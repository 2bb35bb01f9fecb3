"""登记簿接口 The registry over HTTP: create, read, list, change each entity; validation and duplicates;
masked personal data, audited reveals and reads; what an agency may see (art. 19–20)."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import auth

DEBTOR = {"id": "d100", "name": "赵六", "phone": "13712345678", "id_number": "110101199003071234",
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


# -- agencies and subcontractor approvals -------------------------------------------------------------
def test_agency_create_lists_it_for_the_caller(c):
    client, h = c
    admin = h["institution_admin"]
    body = created(client.post("/v1/agencies", json={"id": "agC", "name": "丙催收"}, headers=admin))
    assert body["listing_status"] == "active" and body["subcontractor_approved"] is False
    assert client.get("/v1/agencies/agC", headers=h["auditor"]).json()["name"] == "丙催收"
    ids = [a["id"] for a in client.get("/v1/agencies?status=active", headers=admin).json()["items"]]
    assert ids == ["agA", "agB", "agC"]
    # bank2 does not work with agC: not found, and not in its list.
    assert client.get("/v1/agencies/agC", headers=h["bank2_admin"]).status_code == 404
    assert [a["id"] for a in client.get("/v1/agencies", headers=h["bank2_admin"]).json()["items"]] == ["agA"]
    dup = client.post("/v1/agencies", json={"id": "agC"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate-id" and dup.json()["field"] == "id"
    other = client.post("/v1/agencies", json={"id": "agD", "listed_by": ["bank2"]}, headers=admin)
    assert other.status_code == 404 and other.json()["field"] == "listed_by"


def test_subcontractor_is_approved_in_advance(c):
    client, h = c
    admin = h["institution_admin"]
    sub = created(client.post("/v1/agencies", json={"id": "agA-sub", "parent": "agA"}, headers=admin))
    assert sub["listing_status"] is None and sub["subcontractor_approved"] is False
    ok = client.post("/v1/subcontractor-approvals", json={"agency": "agA-sub"}, headers=admin)
    assert created(ok) == {"institution_id": "bank", "agency_id": "agA-sub"}
    assert client.get("/v1/agencies/agA-sub", headers=admin).json()["subcontractor_approved"] is True
    assert client.get("/v1/subcontractor-approvals/agA-sub", headers=h["auditor"]).status_code == 200
    assert client.get("/v1/subcontractor-approvals", headers=h["auditor"]).json()["total"] == 1
    assert client.post("/v1/subcontractor-approvals", json={"agency": "agA-sub"}, headers=admin).status_code == 409
    top = client.post("/v1/subcontractor-approvals", json={"agency": "agB"}, headers=admin)
    assert top.status_code == 422 and top.json()["field"] == "agency"
    hidden = client.post("/v1/agencies", json={"id": "agB-sub", "parent": "agB"}, headers=h["bank2_admin"])
    assert hidden.status_code == 404 and hidden.json()["field"] == "parent"  # bank2 does not work with agB
    assert ledger(client, h["auditor"], "registry:subcontractor-approval:created")[0]["subject"] == "agA-sub"


# -- agreements, collectors, tools ------------------------------------------------------------------
def test_agreements(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"id": "ag2", "institution": "bank", "agency": "agB", "from": "2026-01-01", "to": "2026-12-31"}
    assert created(client.post("/v1/agreements", json=body, headers=admin))["valid_to"] == "2026-12-31"
    assert client.post("/v1/agreements", json=body, headers=admin).status_code == 409
    backwards = client.post("/v1/agreements", json={**body, "id": "ag3", "to": "2025-01-01"}, headers=admin)
    assert backwards.status_code == 422
    foreign = client.post("/v1/agreements", json={**body, "id": "ag4", "institution": "bank2"}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "institution"
    unlisted = client.post("/v1/agreements", json={**body, "id": "ag5", "institution": "bank2", "agency": "agB"},
                           headers=h["bank2_admin"])
    assert unlisted.status_code == 404 and unlisted.json()["field"] == "agency"
    r = client.patch("/v1/agreements/ag2", json={"to": "2027-06-30", "subcontracting": True}, headers=admin)
    assert r.status_code == 200 and r.json()["valid_to"] == "2027-06-30" and r.json()["subcontracting"] is True
    bad = client.patch("/v1/agreements/ag2", json={"to": "2025-01-01"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    null = client.patch("/v1/agreements/ag2", json={"to": None}, headers=admin)
    assert null.status_code == 422 and null.json()["field"] == "to"
    listed = client.get("/v1/agreements?agency=agB&active_on=2027-03-01", headers=h["auditor"]).json()
    assert [a["id"] for a in listed["items"]] == ["ag2"]
    assert client.get("/v1/agreements/ag2", headers=h["bank2_admin"]).status_code == 404


def test_collectors_and_trainings(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"id": "c2", "org": "agA", "kind": "human", "last_training": "2026-02-01"}
    assert created(client.post("/v1/collectors", json=body, headers=admin))["pledge_signed"] is False
    r = client.patch("/v1/collectors/c2", json={"pledge_signed": True, "pre_job_exam": "2026-02-01"}, headers=admin)
    assert r.status_code == 200 and r.json()["pledge_signed"] is True and r.json()["pre_job_exam"] == "2026-02-01"
    payload = ledger(client, h["auditor"], "registry:collector:updated")[0]["body"]["payload"]
    assert payload == {"pledge_signed": True, "pre_job_exam": "2026-02-01"}
    null = client.patch("/v1/collectors/c2", json={"approved": None}, headers=admin)
    assert null.status_code == 422 and null.json()["field"] == "approved"
    status = client.patch("/v1/collectors/c2", json={"status": "removed"}, headers=admin)
    assert status.status_code == 422 and status.json()["field"] == "status"  # status changes by event
    assert client.get("/v1/collectors/c2/trainings", headers=h["auditor"]).json() == [{"day": "2026-02-01"}]
    foreign = client.post("/v1/collectors", json={**body, "id": "c3", "org": "bank2"}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "org"
    kinds = client.get("/v1/collectors?org=agA&kind=human", headers=h["auditor"]).json()
    assert [x["id"] for x in kinds["items"]] == ["c1", "c2"]
    assert client.get("/v1/collectors/bot1", headers=h["bank2_admin"]).status_code == 404
    wrong = client.post("/v1/collectors", json={**body, "id": "c4", "kind": "robot"}, headers=admin)
    assert wrong.status_code == 422 and wrong.json()["field"] == "kind"


def test_tools(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"id": "tel-agA", "institution": "bank", "type": "phone", "official": True, "org": "agA",
            "active_from": "2026-01-01"}
    assert created(client.post("/v1/tools", json=body, headers=admin))["org_id"] == "agA"
    r = client.patch("/v1/tools/tel-agA", json={"filed": True, "active_to": "2026-12-31"}, headers=admin)
    assert r.status_code == 200 and r.json()["filed"] is True
    bad = client.patch("/v1/tools/tel-agA", json={"active_to": "2025-12-31"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "active_to"
    assert client.patch("/v1/tools/tel-agA", json={"org": "agZ"}, headers=admin).status_code == 404
    on = client.get("/v1/tools?type=phone&active_on=2026-06-01", headers=h["auditor"]).json()
    assert [t["id"] for t in on["items"]] == ["tel", "tel-agA"]
    assert client.get("/v1/tools?active_on=2027-06-01&org=agA", headers=h["auditor"]).json()["total"] == 0
    assert client.get("/v1/tools/tel", headers=h["bank2_admin"]).status_code == 404


# -- templates --------------------------------------------------------------------------------------
def test_templates_start_pending_and_are_approved_separately(c):
    client, h = c
    admin, officer = h["institution_admin"], h["compliance_officer"]
    body = {"id": "t-new", "institution": "bank", "audience": "debtor", "channel": "sms",
            "text": "【示例银行】您的借款已逾期，请通过官方App还款。"}
    t = created(client.post("/v1/templates", json=body, headers=admin))
    assert t["current"] == {"version": 1, "text": body["text"], "sealed": False, "status": "pending"}
    self_approved = client.post("/v1/templates", json={**body, "id": "t-x", "approved": True}, headers=admin)
    assert self_approved.status_code == 422 and self_approved.json()["field"] == "approved"
    assert client.post("/v1/templates/t-new/approve", headers=h["auditor"]).status_code == 403
    ok = client.post("/v1/templates/t-new/approve", headers=officer)
    assert ok.status_code == 200 and ok.json()["current"]["status"] == "approved"
    again = client.post("/v1/templates/t-new/approve", headers=officer)
    assert again.status_code == 409 and again.json()["code"] == "template-not-pending"
    v2 = created(client.post("/v1/templates/t-new/versions", json={"text": "【示例银行】请及时还款。"}, headers=admin))
    assert v2["current_version"] == 2 and v2["current"]["status"] == "pending"
    assert client.post("/v1/templates/t-new/reject", headers=officer).json()["current"]["status"] == "rejected"
    versions = client.get("/v1/templates/t-new/versions", headers=h["auditor"]).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "approved"), (2, "rejected")]
    assert client.patch("/v1/templates/t-new", json={"active": False}, headers=admin).json()["active"] is False
    rejected = client.get("/v1/templates?status=rejected&channel=sms", headers=h["auditor"]).json()
    assert [x["id"] for x in rejected["items"]] == ["t-new"]
    assert client.get("/v1/templates?active=true", headers=h["auditor"]).json()["total"] == 2
    kinds = [r["kind"] for r in ledger(client, h["auditor"], "template:")]
    assert kinds == ["template:version:approved", "template:version:created", "template:version:rejected"]
    assert client.get("/v1/templates/t-new", headers=h["bank2_admin"]).status_code == 404
    assert client.post("/v1/templates/t-new/approve", headers=h["bank2_admin"]).status_code == 404


def test_a_template_that_fails_review_stays_pending_with_its_findings(c):
    client, h = c
    body = {"id": "t-bad", "institution": "bank", "audience": "debtor", "channel": "sms",
            "text": "【示例银行】再不还款我们就上门到你单位，让你全家知道你欠钱。"}
    created(client.post("/v1/templates", json=body, headers=h["institution_admin"]))
    r = client.post("/v1/templates/t-bad/approve", headers=h["compliance_officer"])
    assert r.status_code == 409 and r.json()["code"] == "template-lint-failed"
    assert r.json()["details"][0]["rule"] == "art7-collection-target"
    assert client.get("/v1/templates/t-bad", headers=h["auditor"]).json()["current"]["status"] == "pending"


# -- debtors: masked by default, audited reveals ------------------------------------------------------
def test_debtor_is_masked_by_default_and_every_read_is_recorded(c):
    client, h = c
    out = created(client.post("/v1/debtors", json=DEBTOR, headers=h["institution_admin"]))
    assert out == {"id": "d100", "institution_id": "bank", "name": "赵*", "phone": "137****5678",
                   "id_number": "110***********1234", "address": "北京市朝阳区****", "timezone": "Asia/Shanghai",
                   "status": "normal", "status_reason": None, "view": "masked"}
    for role in ("institution_admin", "compliance_officer", "auditor"):
        r = client.get("/v1/debtors/d100", headers=h[role])
        assert r.status_code == 200 and r.json()["phone"] == "137****5678", role
    reads = ledger(client, h["auditor"], "privacy:pii:read")
    assert [(x["subject"], x["body"]["payload"]["role"]) for x in reads] == [
        ("d100", "institution_admin"), ("d100", "compliance_officer"), ("d100", "auditor")]
    assert reads[0]["body"]["payload"]["ids"] == ["d100"] and reads[0]["body"]["payload"]["key_id"]
    listed = client.get("/v1/debtors", headers=h["auditor"]).json()
    assert [d["id"] for d in listed["items"]] == ["d1", "d100", "d3"]  # bank's own and its debts' debtors
    page_read = ledger(client, h["auditor"], "privacy:pii:read")[-1]
    assert page_read["subject"] == "debtors" and page_read["body"]["payload"]["ids"] == ["d1", "d100", "d3"]
    assert "13712345678" not in json.dumps(ledger(client, h["auditor"], "registry:debtor:"), ensure_ascii=False)


def test_reveal_needs_the_permission_and_a_reason_and_is_recorded(c):
    client, h = c
    created(client.post("/v1/debtors", json=DEBTOR, headers=h["institution_admin"]))
    no_reason = client.get("/v1/debtors/d100?reveal=true", headers=h["compliance_officer"])
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert "complaint" in no_reason.json()["message_en"] and "投诉处理" in no_reason.json()["message_zh"]
    # The reason is a category: free text (where an agent would type who and which number) is refused.
    free = client.get("/v1/debtors/d100?reveal=true&reason=核实身份以处理投诉", headers=h["compliance_officer"])
    assert free.status_code == 422 and free.json()["field"] == "reason"
    other = client.get("/v1/debtors/d100?reveal=true&reason=other&note=%20%20", headers=h["compliance_officer"])
    assert other.status_code == 422 and other.json()["field"] == "note"
    long = client.get("/v1/debtors/d100", params={"reveal": "true", "reason": "complaint", "note": "x" * 61},
                      headers=h["compliance_officer"])
    assert long.status_code == 422 and long.json()["field"] == "note"
    assert client.get("/v1/debtors/d100?reveal=true&reason=complaint", headers=h["auditor"]).status_code == 403
    r = client.get("/v1/debtors/d100", params={"reveal": "true", "reason": "complaint",
                                               "note": "工单 C-2026-0042 来电13712345678"},
                   headers=h["compliance_officer"])
    assert r.status_code == 200, r.text
    assert r.json() | {} == {**r.json(), "name": "赵六", "phone": "13712345678", "id_number": "110101199003071234",
                             "address": "北京市朝阳区建国路88号", "view": "revealed"}
    revealed = ledger(client, h["auditor"], "privacy:pii:revealed")
    assert len(revealed) == 1 and revealed[0]["subject"] == "d100"
    payload = revealed[0]["body"]["payload"]
    assert payload["role"] == "compliance_officer" and payload["reason"] == "complaint"
    assert payload["note"] == "工单 C-2026-0042 来电137****5678"
    assert payload["fields"] == ["name", "phone", "id_number", "address"] and payload["key_id"]
    text = json.dumps(revealed, ensure_ascii=False)
    assert "13712345678" not in text and "赵六" not in text and "110101199003071234" not in text


def test_debtor_changes_are_reencrypted_and_logged_without_values(c):
    client, h = c
    admin = h["institution_admin"]
    created(client.post("/v1/debtors", json=DEBTOR, headers=admin))
    r = client.patch("/v1/debtors/d100", json={"phone": "13900001111", "address": None, "timezone": "Asia/Urumqi"},
                     headers=admin)
    assert r.status_code == 200 and r.json()["phone"] == "139****1111" and r.json()["address"] is None
    assert r.json()["timezone"] == "Asia/Urumqi"
    update = ledger(client, h["auditor"], "registry:debtor:updated")[0]["body"]["payload"]
    assert update == {"fields": ["address", "phone", "timezone"], "timezone": "Asia/Urumqi"}
    bad_zone = client.patch("/v1/debtors/d100", json={"timezone": "Mars/Olympus"}, headers=admin)
    assert bad_zone.status_code == 422 and bad_zone.json()["field"] == "timezone"
    status = client.patch("/v1/debtors/d100", json={"status": "deceased"}, headers=admin)
    assert status.status_code == 422 and status.json()["field"] == "status"
    assert client.post("/v1/debtors", json=DEBTOR, headers=admin).status_code == 409
    nul = client.post("/v1/debtors", json={**DEBTOR, "id": "d101", "timezone": "Asia/Shanghai\x00"}, headers=admin)
    assert nul.status_code == 422


def test_debtors_are_paginated(c):
    client, h = c
    admin = h["institution_admin"]
    for i in range(7):
        created(client.post("/v1/debtors", json={"id": f"p{i}", "name": "钱七"}, headers=admin))
    page = client.get("/v1/debtors?limit=3&offset=3", headers=admin).json()
    assert page["total"] == 9 and page["limit"] == 3 and page["offset"] == 3
    assert [d["id"] for d in page["items"]] == ["p1", "p2", "p3"]  # d1, d3, p0 … in id order
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
    for path, body, field in (("/v1/agencies", {"id": "agN", "name": "a\x00b"}, "name"),
                              ("/v1/debts", {"id": "l9", "institution": "bank", "debtor": "d1", "product": "a\x00"},
                               "product"),
                              ("/v1/templates", {"id": "t9", "institution": "bank", "audience": "debtor",
                                                 "channel": "sms", "text": "【示例银行】\x00"}, "text")):
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, path


# -- contacts -----------------------------------------------------------------------------------------
def test_contacts(c):
    client, h = c
    admin = h["institution_admin"]
    body = {"id": "k2", "debtor": "d1", "relation": "spouse", "name": "孙八", "phone": "13600136000"}
    out = created(client.post("/v1/contacts", json=body, headers=admin))
    assert out["name"] == "孙*" and out["phone"] == "136****6000" and out["refused"] is False
    assert client.post("/v1/contacts", json={**body, "id": "d1"}, headers=admin).status_code == 409
    assert client.post("/v1/contacts", json={**body, "id": "k3", "debtor": "d2"}, headers=admin).status_code == 404
    long = client.post("/v1/contacts", json={**body, "id": "k4", "relation": "x" * 65}, headers=admin)
    assert long.status_code == 422 and long.json()["field"] == "relation"
    r = client.patch("/v1/contacts/k2", json={"offers_to_repay": True, "phone": "13600001234"}, headers=admin)
    assert r.status_code == 200 and r.json()["offers_to_repay"] is True and r.json()["phone"] == "136****1234"
    listed = client.get("/v1/contacts?debtor=d1", headers=h["auditor"]).json()
    assert [k["id"] for k in listed["items"]] == ["k1", "k2"]
    assert client.get("/v1/contacts/k2", headers=h["auditor"]).json()["name"] == "孙*"
    reads = ledger(client, h["auditor"], "privacy:pii:read")
    assert [(x["subject"], x["body"]["payload"]["ids"]) for x in reads] == [("contacts", ["k1", "k2"]), ("k2", ["k2"])]
    assert client.get("/v1/contacts/k2", headers=h["bank2_admin"]).status_code == 404


# -- debts --------------------------------------------------------------------------------------------
def test_debts_with_guarantors_and_decimal_amounts(c):
    client, h = c
    admin = h["institution_admin"]
    created(client.post("/v1/debtors", json=DEBTOR, headers=admin))
    body = {"id": "loan100", "institution": "bank", "debtor": "d100", "product": "cash-loan", "guarantors": ["d3"],
            "overdue_amount": "3200.5", "overdue_since": "2026-03-01"}
    out = created(client.post("/v1/debts", json=body, headers=admin))
    assert out["overdue_amount"] == "3200.50" and out["repaid_total"] == "0.00" and out["guarantors"] == ["d3"]
    assert client.post("/v1/debts", json=body, headers=admin).status_code == 409
    cents = client.post("/v1/debts", json={**body, "id": "loan101", "overdue_amount": "1.001"}, headers=admin)
    assert cents.status_code == 422 and cents.json()["field"] == "overdue_amount"
    foreign = client.post("/v1/debts", json={**body, "id": "loan102", "guarantors": ["d2"]}, headers=admin)
    assert foreign.status_code == 404 and foreign.json()["field"] == "guarantors" and "李四" not in foreign.text
    r = client.patch("/v1/debts/loan100", json={"overdue_amount": "3560.75", "guarantors": []}, headers=admin)
    assert r.status_code == 200 and r.json()["overdue_amount"] == "3560.75" and r.json()["guarantors"] == []
    assert client.patch("/v1/debts/loan100", json={"product": None}, headers=admin).status_code == 422
    listed = client.get("/v1/debts?debtor=d100&status=open", headers=h["auditor"]).json()
    assert [d["id"] for d in listed["items"]] == ["loan100"]
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
    created(client.post("/v1/tools", json={"id": "tel-agA", "institution": "bank", "type": "phone", "org": "agA"},
                        headers=admin))

    debtor = client.get("/v1/debtors/d1", headers=agency).json()
    assert debtor["view"] == "agency" and debtor["name"] == "张*" and debtor["phone"] == "138****8000"
    assert debtor["id_number"] is None and debtor["address"] is None and debtor["status_reason"] is None
    debt = client.get("/v1/debts/loan1", headers=agency).json()
    assert debt["overdue_amount"] == "3200.00" and debt["product"] == "cash-loan" and debt["guarantors"] is None
    assert [d["id"] for d in client.get("/v1/debts", headers=agency).json()["items"]] == ["loan1"]
    assert [d["id"] for d in client.get("/v1/debtors", headers=agency).json()["items"]] == ["d1"]  # not guarantor d3
    assert [k["id"] for k in client.get("/v1/contacts", headers=agency).json()["items"]] == ["k1"]
    assert [x["id"] for x in client.get("/v1/collectors", headers=agency).json()["items"]] == ["c1"]
    assert [t["id"] for t in client.get("/v1/tools", headers=agency).json()["items"]] == ["tel-agA"]
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
    body = {"id": "t-bad", "institution": "bank", "audience": "contact", "channel": "sms",
            "text": "请转告他，欠款{overdue_amount}元再不还就上门。"}
    created = client.post("/v1/templates", json=body, headers=admin)
    assert created.status_code == 201, created.text
    categories = {f["category"] for f in created.json()["review_findings"]}
    assert {"third-party-disclosure", "identity-not-stated"} <= categories
    refused = client.post("/v1/templates/t-bad/approve", headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "template-lint-failed"
    assert refused.json()["details"]
    fixed = client.post("/v1/templates/t-bad/versions", json={"text": "【示例银行】请转告{debtor_name}尽快回电95555。"},
                        headers=admin)
    assert fixed.status_code == 201 and fixed.json()["review_findings"] == []
    assert client.post("/v1/templates/t-bad/approve", headers=admin).status_code == 200

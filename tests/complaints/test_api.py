"""投诉接口 Complaints over HTTP, per role, on SQLite and PostgreSQL: compliance takes a complaint from registration
to its answer; the auditor reads and may change nothing (403); an agency operator registers complaints about its
own agency only and reads only those (another agency's, another institution's answer like an unknown id); the
complainant's data is masked everywhere; filters and the overdue view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import auth


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def h(api) -> dict[str, dict[str, str]]:
    return {role: auth(token) for role, token in api[1].items()}


@pytest.fixture
def client(api):
    return api[0]


def about_agA(**extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "debtor": "d1", "agency": "agA", "collector": "c1", "channel": "phone",
            "complainant_name": "张三", "complainant_phone": "13800138000", "complainant_email": "zs@example.com",
            "payment_account": "6222021234567890", "text": "晚上十一点来电，号码 13800138000", **extra}


def test_compliance_takes_a_complaint_from_registration_to_its_answer(client, h, clock):
    co = h["compliance_officer"]
    made = ok(client.post("/v1/complaints", json=about_agA(ref="TS-1"), headers=co), 201)
    cid = made["subject"]
    assert cid.startswith("cmp_") and made["detail"]["due_date"] == "2026-06-04"
    assert made["detail"]["proxy_warning"] is False and made["detail"]["handled_by_institution"] is True
    # Ids are the server's: a client id is refused, a reference is the tenant's own.
    ok(client.post("/v1/complaints", json={**about_agA(), "id": "mine"}, headers=co), 422)
    ok(client.post("/v1/complaints", json=about_agA(ref="TS-1"), headers=co), 409)
    ok(client.post(f"/v1/complaints/{cid}/verify", json={}, headers=co))
    refused = ok(client.post(f"/v1/complaints/{cid}/assign", json={"investigator": "c1"}, headers=co), 409)
    assert {d["rule"] for d in refused["details"]} == {"art22-recusal", "art22-institution-handles"}
    assert refused["field"] == "investigator" and refused["message_zh"] and refused["message_en"]
    early = ok(client.post(f"/v1/complaints/{cid}/resolve", json={}, headers=co), 409)
    assert early["code"] == "art22-complaints"
    staff = ok(client.post("/v1/staff", json={"org": "bank", "role": "compliance", "name": "合规 周某"},
                           headers=h["institution_admin"]), 201)["id"]
    ok(client.post(f"/v1/complaints/{cid}/assign", json={"investigator": staff}, headers=co))
    blank = ok(client.post(f"/v1/complaints/{cid}/extend", json={"due_date": "2026-06-10", "reason": ""},
                           headers=co), 422)
    assert blank["field"] == "reason"
    ok(client.post(f"/v1/complaints/{cid}/extend", json={"due_date": "2026-06-10", "reason": "需调取录音"},
                   headers=co))
    clock.now += timedelta(days=17)
    seen = ok(client.get(f"/v1/complaints/{cid}", headers=h["auditor"]))
    assert seen["answer_by"] == "2026-06-10" and seen["overdue"] is False and seen["status"] == "investigating"
    clock.now += timedelta(days=5)
    assert ok(client.get(f"/v1/complaints/{cid}", headers=h["auditor"]))["overdue"] is True
    assert [c["id"] for c in ok(client.get("/v1/complaints?overdue=true", headers=h["auditor"]))["items"]] == [cid]
    done = ok(client.post(f"/v1/complaints/{cid}/resolve", json={"root_cause": "art9-quiet-hours",
                                                                 "result": "已致歉并整改"}, headers=co))
    assert done["detail"] == {"status": "resolved", "late": True, "root_cause_rules": ["art9-quiet-hours"]}
    seen = ok(client.get(f"/v1/complaints/{cid}", headers=h["auditor"]))
    assert seen["late"] is True and seen["overdue"] is False and seen["root_cause_rules"] == ["art9-quiet-hours"]
    assert [s["step"] for s in seen["steps"]] == ["registered", "verified", "assigned", "extended", "resolved"]
    assert ok(client.get("/v1/complaints?overdue=true", headers=h["auditor"]))["total"] == 0
    obligations = ok(client.get("/v1/obligations?institution=bank", headers=h["auditor"]))
    item = next(i for i in obligations["items"] if i["key"] == f"art22-complaint-response:{cid}")
    assert item["status"] == "met" and item["subject_kind"] == "complaint"


def test_personal_data_is_masked_and_the_words_are_not_for_an_agency(client, h):
    cid = ok(client.post("/v1/complaints", json=about_agA(), headers=h["compliance_officer"]), 201)["subject"]
    seen = ok(client.get(f"/v1/complaints/{cid}", headers=h["auditor"]))
    assert seen["complainant_name"] == "张*" and seen["complainant_phone"] == "138****8000"
    assert seen["complainant_email"] == "z*@example.com" and seen["payment_account"] == "****7890"
    assert "13800138000" not in seen["text"] and "十一点" in seen["text"]
    theirs = ok(client.get(f"/v1/complaints/{cid}", headers=h["agency_operator"]))
    assert theirs["text"] is None and theirs["complainant_phone"] == "138****8000"
    listed = ok(client.get("/v1/complaints", headers=h["compliance_officer"]))
    assert "13800138000" not in str(listed) and "张三" not in str(listed)


def test_the_auditor_reads_and_changes_nothing(client, h):
    cid = ok(client.post("/v1/complaints", json=about_agA(), headers=h["compliance_officer"]), 201)["subject"]
    auditor = h["auditor"]
    ok(client.post("/v1/complaints", json=about_agA(), headers=auditor), 403)
    for action, body in (("verify", {}), ("assign", {"investigator": "c1"}), ("resolve", {}),
                         ("extend", {"due_date": "2026-06-10", "reason": "x"})):
        ok(client.post(f"/v1/complaints/{cid}/{action}", json=body, headers=auditor), 403)
    ok(client.get(f"/v1/complaints/{cid}", headers=auditor))
    for role in ("integration", "agency_admin"):
        ok(client.get("/v1/complaints", headers=h[role]), 403)


def test_an_agency_operator_registers_and_reads_its_own_agencys_complaints_only(client, h):
    op = h["agency_operator"]
    own = ok(client.post("/v1/complaints", json={"institution": "bank", "debtor": "d1", "channel": "phone",
                                                 "text": "客户来电投诉"}, headers=op), 201)
    assert own["detail"]["handled_by_institution"] is True  # the agency is filled in: the institution handles it
    ok(client.post("/v1/complaints", json={"institution": "bank", "agency": "agB", "channel": "phone"},
                   headers=op), 404)
    ok(client.post("/v1/complaints", json={"institution": "bank2", "channel": "phone"}, headers=op), 404)
    ok(client.post("/v1/complaints", json={"institution": "bank", "debtor": "d3", "channel": "phone"},
                   headers=op), 404)  # not placed with agA
    other = ok(client.post("/v1/complaints", json={"institution": "bank", "agency": "agB", "channel": "letter"},
                           headers=h["compliance_officer"]), 201)["subject"]
    inhouse = ok(client.post("/v1/complaints", json={"institution": "bank", "collector": "bot1", "channel": "web"},
                             headers=h["compliance_officer"]), 201)["subject"]
    theirs = ok(client.post("/v1/complaints", json={"institution": "bank2", "agency": "agA", "channel": "phone"},
                            headers=h["bank2_admin"]), 201)["subject"]
    listed = ok(client.get("/v1/complaints", headers=op))
    assert [c["id"] for c in listed["items"]] == [own["subject"]]
    for hidden in (other, inhouse, theirs):
        ok(client.get(f"/v1/complaints/{hidden}", headers=op), 404)
    ok(client.get(f"/v1/complaints/{theirs}", headers=h["auditor"]), 404)  # another institution's
    ok(client.post(f"/v1/complaints/{own['subject']}/assign", json={"investigator": "c1"}, headers=op), 403)
    everything = ok(client.get("/v1/complaints", headers=h["auditor"]))
    assert {c["id"] for c in everything["items"]} == {own["subject"], other, inhouse}


def test_parties_of_another_tenant_are_not_found(client, h):
    co = h["compliance_officer"]
    for field, value in (("debtor", "d2"), ("agency", "agZ"), ("collector", "cZ")):
        body = {"institution": "bank", "channel": "phone", field: value}
        assert ok(client.post("/v1/complaints", json=body, headers=co), 404)["field"] == field
    ok(client.post("/v1/complaints", json={"institution": "bank2", "channel": "phone"}, headers=co), 404)
    cid = ok(client.post("/v1/complaints", json={"institution": "bank", "channel": "email"}, headers=co),
             201)["subject"]
    ok(client.post(f"/v1/complaints/{cid}/verify", json={}, headers=h["bank2_admin"]), 404)


def test_filters_and_a_proxy_warning_over_http(client, h):
    co = h["compliance_officer"]
    warned = ok(client.post("/v1/complaints", json={"institution": "bank", "channel": "letter", "debtor": "d1",
                                                    "proxy": {"name": "某维权代理", "authorisation": False}},
                            headers=co), 201)
    assert warned["detail"]["proxy_warning"] is True
    assert "授权" in warned["detail"]["warning_zh"] and "authorisation" in warned["detail"]["warning_en"]
    ok(client.post("/v1/complaints", json={"institution": "bank", "channel": "regulator", "agency": "agB"},
                   headers=co), 201)
    ok(client.post("/v1/complaints", json={"institution": "bank", "channel": "phone"}, headers=co), 201)
    def ids(query: str) -> int:
        return ok(client.get(f"/v1/complaints?{query}", headers=co))["total"]

    assert (ids("channel=letter"), ids("agency=agB"), ids("debtor=d1"), ids("status=registered"),
            ids("status=resolved"), ids("limit=1")) == (1, 1, 1, 3, 0, 3)
    page = ok(client.get("/v1/complaints?limit=2&offset=2", headers=co))
    assert len(page["items"]) == 1 and page["total"] == 3
    seen = ok(client.get(f"/v1/complaints/{warned['subject']}", headers=co))
    assert seen["proxy_warning"] is True and seen["proxy_name"] == "某****"
    cleared = ok(client.post(f"/v1/complaints/{warned['subject']}/verify", json={"proxy_authorised": True},
                             headers=co))
    assert cleared["detail"]["proxy_warning"] is False
    ok(client.get("/v1/complaints?status=unknown", headers=co), 422)

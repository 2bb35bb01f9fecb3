"""反催收信号接口 The anti-collection signals over HTTP, per role, on SQLite and PostgreSQL: registering complaints
answers their flags; compliance reads and decides, an auditor reads only, an agency never sees them, another
institution's flags answer like unknown ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import auth
from tests.complaints.test_signals import TEMPLATE

PHONE = "13700137000"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def h(api) -> dict[str, dict[str, str]]:
    return {role: auth(token) for role, token in api[1].items()}


@pytest.fixture
def cluster(api, h, clock) -> list[dict[str, Any]]:
    """Three complaints without a debtor (each counts as one), the same phone and proxy, one template."""
    client, _ = api
    made = []
    for i, name in enumerate(["张伟", "王芳", "李娜"]):
        made.append(ok(client.post("/v1/complaints", headers=h["compliance_officer"], json={
            "institution": "bank", "channel": "letter", "complainant_phone": PHONE,
            "proxy": {"name": "某某法律咨询", "authorisation": False},
            "text": TEMPLATE.format(name=name, amount=1000 * (i + 1), n=12, d=7)}), 201))
        clock.now += timedelta(hours=1)
    return made


def test_registering_answers_the_flags_and_compliance_reviews_them(api, h, cluster):
    client, _ = api
    third = {f["signal"]: f for f in cluster[2]["detail"]["signals"]}
    assert set(third) == {"shared_phone", "shared_proxy", "near_duplicate_text", "phrases"}
    assert third["shared_phone"]["value_hint"] == "137****7000"
    ids = [c["subject"] for c in cluster]
    assert third["shared_phone"]["shared_with"] == ids[:2]
    listed = ok(client.get("/v1/complaint-signals?status=open", headers=h["compliance_officer"]))
    assert listed["total"] == 6 and all(i["status"] == "open" for i in listed["items"])
    phone = ok(client.get("/v1/complaint-signals?signal=shared_phone", headers=h["auditor"]))["items"]
    assert [f["complaint"] for f in phone] == [ids[2]]
    [cl] = ok(client.get("/v1/complaint-signals/clusters", headers=h["auditor"]))
    assert cl["complaints"] == ids and cl["debtors"] == 3 and cl["status"] == "open"
    of_first = ok(client.get(f"/v1/complaints/{ids[0]}/signals", headers=h["compliance_officer"]))
    assert {f["signal"] for f in of_first} == {"phrases", "shared_phone", "shared_proxy", "near_duplicate_text"}

    flag = phone[0]["id"]
    ok(client.post(f"/v1/complaint-signals/{flag}/review", headers=h["auditor"],
                   json={"decision": "confirmed", "reason": "x"}), 403)
    ok(client.post(f"/v1/complaint-signals/{flag}/review", headers=h["compliance_officer"],
                   json={"decision": "rejected", "reason": "x"}), 422)
    ok(client.post(f"/v1/complaint-signals/{flag}/review", headers=h["compliance_officer"],
                   json={"decision": "confirmed", "reason": ""}), 422)
    done = ok(client.post(f"/v1/complaint-signals/{flag}/review", headers=h["compliance_officer"],
                          json={"decision": "confirmed", "reason": "同一号码批量代投诉"}))
    assert done["status"] == "confirmed" and done["reviewed_by"] and done["review_reason"] == "同一号码批量代投诉"
    confirmed = ok(client.get("/v1/complaint-signals/clusters?status=confirmed", headers=h["institution_admin"]))
    assert [c["id"] for c in confirmed] == [ids[0]]
    rest = ok(client.post(f"/v1/complaint-signals/clusters/{ids[1]}/review", headers=h["compliance_officer"],
                          json={"decision": "dismissed", "reason": "模板来自公开投诉指引"}))
    assert len(rest) == 5 and {f["status"] for f in rest} == {"dismissed"}
    assert ok(client.get("/v1/complaint-signals?status=open", headers=h["compliance_officer"]))["total"] == 0


def test_an_agency_never_sees_them_and_another_institution_finds_nothing(api, h, cluster):
    client, _ = api
    ids = [c["subject"] for c in cluster]
    for path in ("/v1/complaint-signals", "/v1/complaint-signals/clusters", f"/v1/complaints/{ids[0]}/signals"):
        ok(client.get(path, headers=h["agency_operator"]), 403)
    ok(client.post("/v1/complaint-signals/1/review", headers=h["agency_operator"],
                   json={"decision": "dismissed", "reason": "x"}), 403)
    assert ok(client.get("/v1/complaint-signals", headers=h["bank2_admin"]))["total"] == 0
    assert ok(client.get("/v1/complaint-signals/clusters", headers=h["bank2_admin"])) == []
    ok(client.get(f"/v1/complaints/{ids[0]}/signals", headers=h["bank2_admin"]), 404)
    ok(client.post("/v1/complaint-signals/1/review", headers=h["bank2_admin"],
                   json={"decision": "dismissed", "reason": "x"}), 404)
    ok(client.post(f"/v1/complaint-signals/clusters/{ids[0]}/review", headers=h["bank2_admin"],
                   json={"decision": "dismissed", "reason": "x"}), 404)


def test_an_agency_registering_a_flagged_complaint_is_not_told_about_the_flags(api, h, cluster):
    client, _ = api
    made = ok(client.post("/v1/complaints", headers=h["agency_operator"], json={
        "institution": "bank", "channel": "phone", "complainant_phone": PHONE,
        "text": TEMPLATE.format(name="赵敏", amount=5000, n=24, d=7)}), 201)
    assert "signals" not in made["detail"]
    flags = ok(client.get(f"/v1/complaints/{made['subject']}/signals", headers=h["compliance_officer"]))
    assert {f["signal"] for f in flags if f["complaint"] == made["subject"]} >= {"shared_phone", "near_duplicate_text"}

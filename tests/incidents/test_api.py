"""事件接口 Incidents over HTTP, per role, on SQLite and PostgreSQL: an agency operator reports its own agency's
incident and tells the institution; only the institution reports to the SRO; another agency's or another
institution's incident answers like an unknown id; the countdown and the late mark; the report files."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import auth

REPORT = {"cause": "催收员上门时与债务人发生冲突", "state": "当事人已停岗", "impact": "可能引发投诉和舆情",
          "measures": "暂停上门催收并专项检查"}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def h(api) -> dict[str, dict[str, str]]:
    return {role: auth(token) for role, token in api[1].items()}


def breach(**extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "kind": "pi_breach", "discovered_at": "2026-05-20T08:00:00+08:00", **extra}


def major(**extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "kind": "major_risk", "category": "violent_collection",
            "discovered_at": "2026-05-20T09:00:00+08:00", **extra}


def test_an_agency_reports_its_own_breach_and_tells_the_institution(api, h, clock):
    client, _ = api
    made = ok(client.post("/v1/incidents", json=breach(ref="INC-1"), headers=h["agency_operator"]), 201)
    assert made["agency"] == "agA" and made["status"] == "open"
    assert made["deadline"]["obligation"] == "art21-breach-24h"
    assert datetime.fromisoformat(made["deadline"]["due_at"]) == datetime.fromisoformat("2026-05-21T00:00:00Z")
    assert made["deadline"]["remaining_seconds"] == 22 * 3600  # the clock reads 10:00 Beijing
    assert made["reported_by"].startswith("agency_operator:")
    # Another agency's name is not the operator's to use.
    ok(client.post("/v1/incidents", json=breach(agency="agB"), headers=h["agency_operator"]), 404)
    clock.now += timedelta(hours=21)
    told = ok(client.post(f"/v1/incidents/{made['id']}/notifications", json={"to": "institution"},
                          headers=h["agency_operator"]), 201)
    assert told["status"] == "notified" and told["deadline"]["status"] == "met" and not told["deadline"]["late"]
    assert told["notifications"][0]["by"].startswith("agency_operator:")


def test_only_the_institution_reports_to_the_sro_and_a_missing_part_is_refused(api, h, clock):
    client, _ = api
    made = ok(client.post("/v1/incidents", json=major(agency="agA"), headers=h["compliance_officer"]), 201)
    path = f"/v1/incidents/{made['id']}/notifications"
    ok(client.post(path, json={"to": "sro", "report": REPORT}, headers=h["agency_operator"]), 403)
    refused = ok(client.post(path, json={"to": "sro", "report": {**REPORT, "state": "  "}},
                             headers=h["compliance_officer"]), 409)
    assert refused["code"] == "art24-major-risk-48h" and refused["field"] == "report"
    assert "目前状况" in refused["message_zh"] and "state" in refused["message_en"]
    assert ok(client.get(f"/v1/incidents/{made['id']}", headers=h["auditor"]))["notifications"] == []
    clock.now += timedelta(hours=50)
    seen = ok(client.get(f"/v1/incidents/{made['id']}", headers=h["auditor"]))
    assert seen["deadline"]["status"] == "overdue" and seen["deadline"]["remaining_seconds"] == -(3 * 3600)
    sent = ok(client.post(path, json={"to": "sro", "report": REPORT}, headers=h["compliance_officer"]), 201)
    assert sent["status"] == "reported" and sent["deadline"]["status"] == "met"
    assert sent["deadline"]["late"] and sent["deadline"]["late_seconds"] == 3 * 3600
    assert sent["notifications"][0]["late"] and sent["notifications"][0]["measures"] == REPORT["measures"]


def test_who_reads_what(api, h):
    client, _ = api
    own = ok(client.post("/v1/incidents", json=breach(), headers=h["agency_operator"]), 201)
    other = ok(client.post("/v1/incidents", json=major(agency="agB"), headers=h["institution_admin"]), 201)
    mine = ok(client.post("/v1/incidents", json=major(), headers=h["compliance_officer"]), 201)
    assert mine["agency"] is None and mine["deadline"]["obligation"] == "art24-major-risk-48h"
    theirs = ok(client.post("/v1/incidents", json={**breach(), "institution": "bank2"},
                            headers=h["bank2_agency"]), 201)
    listed = {x["id"] for x in ok(client.get("/v1/incidents", headers=h["agency_operator"]))["items"]}
    assert listed == {own["id"]}
    assert {x["id"] for x in ok(client.get("/v1/incidents", headers=h["auditor"]))["items"]} == {
        own["id"], other["id"], mine["id"]}
    for ident in (other["id"], mine["id"], theirs["id"], "no-such-incident"):
        for suffix in ("", "/report.pdf", "/report.docx"):
            assert client.get(f"/v1/incidents/{ident}{suffix}", headers=h["agency_operator"]).status_code == 404
        ok(client.post(f"/v1/incidents/{ident}/notifications", json={"to": "institution"},
                       headers=h["agency_operator"]), 404)
    for suffix in ("", "/report.pdf"):
        assert client.get(f"/v1/incidents/{theirs['id']}{suffix}", headers=h["institution_admin"]).status_code == 404
    # An institution names only agencies it works with, and only itself.
    ok(client.post("/v1/incidents", json=breach(agency="nope"), headers=h["institution_admin"]), 404)
    ok(client.post("/v1/incidents", json={**breach(), "institution": "bank2"}, headers=h["institution_admin"]), 404)
    # Roles without the permission.
    ok(client.post("/v1/incidents", json=breach(), headers=h["auditor"]), 403)
    ok(client.post("/v1/incidents", json=breach(), headers=h["integration"]), 403)
    ok(client.get("/v1/incidents", headers=h["integration"]), 403)
    ok(client.get("/v1/incidents", headers=h["agency_admin"]), 403)
    open_ = ok(client.get("/v1/incidents", params={"open": "true", "kind": "major_risk"}, headers=h["auditor"]))
    assert {x["id"] for x in open_["items"]} == {other["id"], mine["id"]}
    # Telling the institution of a major risk is not the SRO report it still owes; a pi_breach told is done.
    ok(client.post(f"/v1/incidents/{other['id']}/notifications", json={"to": "institution"},
                   headers=h["compliance_officer"]), 201)
    ok(client.post(f"/v1/incidents/{own['id']}/notifications", json={"to": "institution"},
                   headers=h["agency_operator"]), 201)
    still = ok(client.get("/v1/incidents", params={"open": "true"}, headers=h["auditor"]))
    assert {x["id"] for x in still["items"]} == {other["id"], mine["id"]}


def test_inputs_refused_with_their_field(api, h):
    client, _ = api
    for body, field in ((major(category=None), "category"), (breach(category="pi_leak"), "category"),
                        (breach(discovered_at="2026-05-20T11:00:00+08:00"), "discovered_at")):
        assert ok(client.post("/v1/incidents", json=body, headers=h["compliance_officer"]), 422)["field"] == field
    assert client.post("/v1/incidents", json={**breach(), "id": "mine"},
                       headers=h["compliance_officer"]).status_code == 422


def test_the_report_files_download(api, h):
    docx = pytest.importorskip("docx")
    pypdf = pytest.importorskip("pypdf")
    client, _ = api
    made = ok(client.post("/v1/incidents", json=major(agency="agA"), headers=h["compliance_officer"]), 201)
    ok(client.post(f"/v1/incidents/{made['id']}/notifications", json={"to": "sro", "report": REPORT},
                   headers=h["compliance_officer"]), 201)
    pdf = client.get(f"/v1/incidents/{made['id']}/report.pdf", headers=h["agency_operator"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"incident-report-{made['id']}.pdf" in pdf.headers["content-disposition"]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", "")
    word = client.get(f"/v1/incidents/{made['id']}/report.docx", headers=h["auditor"])
    assert word.status_code == 200
    body = "".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    for found in (text, body):
        assert all(v in found for v in REPORT.values())
        assert all(h in found for h in ("一、事件原因", "二、目前状况", "三、可能影响", "四、应对措施"))


def test_an_agency_operator_sees_the_deadlines_of_its_own_agencys_incidents_in_its_calendar(api, h, clock):
    """The calendar's one-off items carry their agency: an agency operator's GET /v1/obligations shows the 24 h notice
    it owes for its own breach — and not the institution's major risk about another agency."""
    client, _ = api
    own = ok(client.post("/v1/incidents", json=breach(), headers=h["agency_operator"]), 201)
    other = ok(client.post("/v1/incidents", json=major(agency="agB"), headers=h["compliance_officer"]), 201)
    clock.now += timedelta(hours=30)
    mine = ok(client.get("/v1/obligations?institution=bank", headers=h["agency_operator"]))
    keys = {i["key"]: i for i in mine["items"]}
    assert keys[f"art21-breach-24h:{own['id']}"]["status"] == "overdue"
    assert keys[f"art21-breach-24h:{own['id']}"]["agency"] == "agA"
    assert f"art24-major-risk-48h:{other['id']}" not in keys
    everything = ok(client.get("/v1/obligations?institution=bank", headers=h["compliance_officer"]))
    assert {f"art21-breach-24h:{own['id']}", f"art24-major-risk-48h:{other['id']}"} <= \
        {i["key"] for i in everything["items"]}

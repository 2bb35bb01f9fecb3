"""监督接口 Oversight over HTTP (issue 11): a new agency's lifecycle from registration to termination and the gate
that follows it, inspections with findings and reproducible samples, rectification orders answering findings,
evidence files stored by hash, and the obligations calendar at any past instant. Who may see and change what is
in tests/api/test_oversight_roles.py."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.oversight import service
from collectguard.oversight.schemas import (
    ADMISSION_CRITERIA,
    PERIODIC_CRITERIA,
    RectificationDoneIn,
    RectificationOrderIn,
    TerminationIn,
)
from collectguard.registry.service import Registry
from collectguard.registry.unit import Units
from tests.api.conftest import auth
from tests.factories import at
from tests.waiting import WAIT_S, until_waiting

ADMISSION = "art17-agency-admission"
COMMITMENTS = "art17-commitments"
ALL_COMMITMENTS = ["no_subcontracting", "confidentiality", "accept_inspection"]
CALL = {"channel": "voice", "mode": "notification", "tool": "tel", "template": "t-voice"}


@pytest.fixture
def c(api) -> tuple[TestClient, dict[str, dict[str, str]]]:
    """(client, headers per role)."""
    client, tokens = api
    return client, {role: auth(token) for role, token in tokens.items()}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def scores(kind: str = "admission", value: int = 80) -> dict[str, int]:
    return dict.fromkeys(ADMISSION_CRITERIA if kind == "admission" else PERIODIC_CRITERIA, value)


def evaluation(agency: str, *, kind: str = "admission", passed: bool = True, **extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "agency": agency, "kind": kind, "scores": scores(kind), "passed": passed,
            "evaluator": "合规部 王某", **extra}


def new_agency(client: TestClient, admin: dict[str, str], ref: str = "agN") -> str:
    """An agency bank registers and signs an agreement with: applied, not yet on the name list."""
    agency = ok(client.post("/v1/agencies", json={"ref": ref, "name": "新催收"}, headers=admin), 201)["id"]
    ok(client.post("/v1/agreements", json={"ref": f"{ref}-agr", "institution": "bank", "agency": agency,
                                           "from": "2026-01-01", "to": "2026-12-31"}, headers=admin), 201)
    return agency


def admit(client: TestClient, admin: dict[str, str], agency: str) -> None:
    """Admission passed, the three commitments, and listing."""
    ok(client.post("/v1/agency-evaluations", json=evaluation(agency), headers=admin), 201)
    ok(client.post("/v1/agency-commitments", json={"institution": "bank", "agency": agency,
                                                   "items": ALL_COMMITMENTS}, headers=admin), 201)
    ok(client.post("/v1/agency-listing", json={"institution": "bank", "agency": agency, "listed": True},
                   headers=admin))


def stage(client: TestClient, headers: dict[str, str], agency: str) -> str:
    return ok(client.get(f"/v1/agencies/{agency}/lifecycle", headers=headers))["stage"]


def agency_key(client: TestClient, agency: str) -> dict[str, str]:
    """The agency's own key (only the platform issues it): it writes the agency's collectors."""
    store = client.app.state.store  # type: ignore[attr-defined]
    with store.transaction() as session:
        token = issue(Registry(session, at=at("2026-05-01 09:00")), role=Role.AGENCY_ADMIN, institution_id=None,
                      agency_id=agency).token
    return auth(token)


def order(agency: str = "agA", **extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "agency": agency, "reason": "illegal_collection", "due": "2026-06-20", **extra}


# == 1. the lifecycle of a new agency ========================================================================
def test_a_new_agency_goes_from_applied_to_terminated(c, clock):
    client, h = c
    admin, auditor = h["institution_admin"], h["auditor"]
    agency = new_agency(client, admin)
    assert stage(client, auditor, agency) == "applied"
    listing = {"institution": "bank", "agency": agency, "listed": True}
    refused = client.post("/v1/agency-listing", json=listing, headers=admin)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == ADMISSION and body["field"] == "agency"
    assert [d["rule"] for d in body["details"]] == [ADMISSION, COMMITMENTS], body
    assert all(d["article"] and d["message_zh"] and d["message_en"] for d in body["details"])
    assert body["message_zh"] and body["message_en"]

    # An admission evaluation must score all nine criteria: the missing one is named.
    partial = evaluation(agency)
    del partial["scores"]["reputation"]
    missing = client.post("/v1/agency-evaluations", json=partial, headers=admin)
    assert missing.status_code == 422 and "reputation" in missing.json()["message_en"], missing.text
    assert stage(client, auditor, agency) == "applied"

    passed = ok(client.post("/v1/agency-evaluations", json=evaluation(agency), headers=admin), 201)
    assert passed["passed"] is True and passed["kind"] == "admission" and passed["suggested"] is None
    read = ok(client.get(f"/v1/agency-evaluations/{passed['id']}", headers=auditor))
    assert instant(read.pop("at")) == instant(passed.pop("at")) == clock.now and read == passed
    assert stage(client, auditor, agency) == "evaluated"
    still = client.post("/v1/agency-listing", json=listing, headers=admin)
    assert still.status_code == 409 and still.json()["code"] == COMMITMENTS, still.text
    assert [d["rule"] for d in still.json()["details"]] == [COMMITMENTS]

    # Commitments given in two calls add up.
    first = ok(client.post("/v1/agency-commitments", json={"institution": "bank", "agency": agency,
                                                           "items": ["no_subcontracting"]}, headers=admin), 201)
    assert [x["item"] for x in first] == ["no_subcontracting"]
    life = ok(client.get(f"/v1/agencies/{agency}/lifecycle", headers=auditor))
    assert life["stage"] == "evaluated" and life["commitments"] == ["no_subcontracting"]
    assert set(life["missing_commitments"]) == {"confidentiality", "accept_inspection"}
    ok(client.post("/v1/agency-commitments", json={"institution": "bank", "agency": agency,
                                                   "items": ["confidentiality", "accept_inspection"]},
                   headers=admin), 201)
    life = ok(client.get(f"/v1/agencies/{agency}/lifecycle", headers=auditor))
    assert life["stage"] == "committed" and life["missing_commitments"] == []
    assert sorted(life["commitments"]) == sorted(ALL_COMMITMENTS) and life["admission"]["id"] == passed["id"]

    listed = ok(client.post("/v1/agency-listing", json=listing, headers=admin))
    assert listed["kind"] == "oversight:listing:listed" and listed["detail"] == {"status": "active"}
    assert stage(client, auditor, agency) == "listed"
    assert ok(client.get(f"/v1/agencies/{agency}", headers=auditor))["listing_status"] == "active"

    opened = ok(client.post("/v1/rectification-orders", json=order(agency, stop_collection=True), headers=admin), 201)
    life = ok(client.get(f"/v1/agencies/{agency}/lifecycle", headers=auditor))
    assert life["stage"] == "rectification" and life["listing_status"] == "rectification_stop"
    assert [o["id"] for o in life["open_orders"]] == [opened["id"]]
    done = ok(client.post(f"/v1/rectification-orders/{opened['id']}/done", json={"note": "已整改"}, headers=admin))
    assert done["done_at"] is not None and done["done_note"] == "已整改"
    assert stage(client, auditor, agency) == "listed"
    again = client.post(f"/v1/rectification-orders/{opened['id']}/done", json={}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "already-done"

    ended = ok(client.post("/v1/agency-terminations", json={"institution": "bank", "agency": agency,
                                                            "reason": "serious_illegal_collection"}, headers=admin))
    assert ended["kind"] == "oversight:agency:terminated" and ended["detail"]["stop_notices"] == []
    assert stage(client, auditor, agency) == "terminated"
    twice = client.post("/v1/agency-terminations", json={"institution": "bank", "agency": agency, "reason": "other"},
                        headers=admin)
    assert twice.status_code == 409 and twice.json()["code"] == "already-terminated"
    # Back on the list only through admission again: the old evaluation and commitments no longer count.
    back = client.post("/v1/agency-listing", json=listing, headers=admin)
    assert back.status_code == 409 and {d["rule"] for d in back.json()["details"]} >= {ADMISSION, COMMITMENTS}
    status = client.post("/v1/agency-status", json={"institution": "bank", "agency": agency, "status": "active"},
                         headers=admin)
    assert status.status_code == 409 and status.json()["code"] == ADMISSION, status.text


# == 2. the gate follows the lifecycle =======================================================================
def placed_debt(client: TestClient, admin: dict[str, str], agency: str, ref: str = "n") -> tuple[str, str]:
    """A debtor with a phone and a debt of bank's placed with the agency from today."""
    debtor = ok(client.post("/v1/debtors", json={"ref": f"dn-{ref}", "name": "钱七", "phone": "13611112222"},
                            headers=admin), 201)["id"]
    debt = ok(client.post("/v1/debts", json={"ref": f"ln-{ref}", "institution": "bank", "debtor": debtor,
                                             "product": "card"}, headers=admin), 201)["id"]
    ok(client.post("/v1/placements", json={"debt": debt, "agency": agency, "from": "2026-05-20", "to": "2026-08-31"},
                   headers=admin))
    return debtor, debt


def test_the_gate_follows_listing_rectification_and_termination(c, clock):
    client, h = c
    admin, gate = h["institution_admin"], h["integration"]
    agency = new_agency(client, admin)
    admit(client, admin, agency)
    collector = ok(client.post("/v1/collectors", json={
        "org": agency, "kind": "human", "pre_job_exam": "2026-01-05", "pledge_signed": True,
        "last_training": "2026-01-05"}, headers=agency_key(client, agency)), 201)["id"]
    debtor, debt = placed_debt(client, admin, agency)
    n = iter(range(100))

    def ask() -> dict[str, Any]:
        return ok(client.post("/v1/attempts", json={**CALL, "id": f"n{next(n)}", "collector": collector,
                                                    "debt": debt, "party": debtor}, headers=gate))

    first = ask()
    assert first["decision"] == "allow", first
    opened = ok(client.post("/v1/rectification-orders", json=order(agency, stop_collection=True), headers=admin), 201)
    paused = ask()
    assert paused["decision"] == "deny" and paused["failing_rules"] == ["art17-agency-listed"], paused
    # Neither the status event nor listing again resumes collection while the order is open.
    resumed = client.post("/v1/agency-status", json={"institution": "bank", "agency": agency, "status": "active"},
                          headers=admin)
    assert resumed.status_code == 409 and resumed.json()["code"] == "rectification-open", resumed.text
    relisted = ok(client.post("/v1/agency-listing", json={"institution": "bank", "agency": agency, "listed": True},
                              headers=admin))
    assert relisted["detail"] == {"status": "rectification_stop"}
    assert ask()["failing_rules"] == ["art17-agency-listed"]
    ok(client.post(f"/v1/rectification-orders/{opened['id']}/done", json={}, headers=admin))
    assert ask()["decision"] == "allow"
    # An order without stop does not pause collection (three calls a day: the third allowed call).
    ok(client.post("/v1/rectification-orders", json=order(agency), headers=admin), 201)
    assert ask()["decision"] == "allow"

    clock.now = at("2026-05-20 11:00")
    ended = ok(client.post("/v1/agency-terminations", json={"institution": "bank", "agency": agency,
                                                            "reason": "rectification_failed"}, headers=admin))
    assert ended["detail"]["stop_notices"] == [debt]
    after = ask()
    assert after["decision"] == "deny" and "art17-agency-listed" in after["failing_rules"], after
    notices = ok(client.get("/v1/notices", params={"agency": agency}, headers=h["auditor"]))
    assert [(x["debt_id"], x["institution_id"], x["payload"]["reason"]) for x in notices] == [
        (debt, "bank", "agency_terminated")], notices
    # agA's debts are untouched: no notice for loan1.
    assert ok(client.get("/v1/notices", params={"agency": "agA"}, headers=h["auditor"])) == []



def test_an_agency_terminated_twice_at_once_is_terminated_once(c, clock):
    """The name-list row is locked before it is checked: on PostgreSQL the second of two terminations at once
    terminated again, and queued a second stop notice for each debt."""
    client, h = c
    store = client.app.state.store  # type: ignore[attr-defined]
    answers: list[Any] = []
    body = {"institution": "bank", "agency": "agA", "reason": "serious_pi_leak"}
    second = threading.Thread(target=lambda: answers.append(client.post(
        "/v1/agency-terminations", json=body, headers=h["institution_admin"])), daemon=True)
    with Units(store, "sm3").write(clock.now) as unit:  # the first, in flight
        service.terminate(unit, TerminationIn.model_validate(body))
        unit.session.flush()
        second.start()
        until_waiting(store, 1)
    second.join(WAIT_S * 2)
    assert answers, "the second request never got an answer"
    assert answers[0].status_code == 409 and answers[0].json()["code"] == "already-terminated", answers[0].text
    notices = ok(client.get("/v1/notices", params={"agency": "agA"}, headers=h["auditor"]))
    assert [n["debt_id"] for n in notices] == ["loan1"]
    records = client.get("/v1/ledger?kind=oversight:agency:terminated", headers=h["auditor"]).text.splitlines()
    assert len(records) == 1


# == 4. inspections and the orders that answer their findings ================================================
def inspection(**extra: Any) -> dict[str, Any]:
    return {"institution": "bank", "kind": "agency_scheduled", "org": "agA", "inspector": "稽核部 李某", **extra}


def test_findings_cite_known_rules_and_samples_draw_again_from_the_seed(c, clock):
    client, h = c
    admin, auditor = h["institution_admin"], h["auditor"]
    # Attempts over three days by agA's c1 and bank's bot1: the population of the samples.
    for day, n in (("2026-05-18", 0), ("2026-05-19", 1), ("2026-05-20", 2)):
        clock.now = at(f"{day} 10:00")
        for collector in ("c1", "bot1"):
            ok(client.post("/v1/attempts", json={**CALL, "id": f"s{n}-{collector}", "collector": collector,
                                                 "debt": "loan1", "party": "d1"}, headers=h["integration"]))
    clock.now = at("2026-05-20 15:00")
    unknown = client.post("/v1/inspections", json=inspection(findings=[
        {"rule": "art99-made-up", "severity": "minor"}]), headers=admin)
    assert unknown.status_code == 422 and unknown.json()["field"] == "findings.0.rule", unknown.text
    assert "art99-made-up" in unknown.json()["message_en"]
    later = client.post("/v1/inspections", json=inspection(findings=[
        {"rule": "art9-quiet-hours", "severity": "major"}, {"rule": "art99-made-up", "severity": "minor"}]),
        headers=admin)
    assert later.status_code == 422 and later.json()["field"] == "findings.1.rule"
    assert ok(client.get("/v1/inspections", headers=auditor))["total"] == 0  # nothing half-recorded

    body = inspection(period_from="2026-05-18", period_to="2026-05-20", sample_size=2, findings=[
        {"rule": "art9-quiet-hours", "severity": "major", "note": "夜间外呼"},
        {"rule": "art16-etiquette", "severity": "minor"}])
    made = ok(client.post("/v1/inspections", json=body, headers=admin), 201)
    assert made["seed"] and made["sample_size"] == 2 and made["org_id"] == "agA"
    assert [(f["n"], f["rule"], f["order_id"]) for f in made["findings"]] == [
        (1, "art9-quiet-hours", None), (2, "art16-etiquette", None)]
    url = f"/v1/inspections/{made['id']}/sample"
    first, second = ok(client.get(url, headers=auditor)), ok(client.get(url, headers=admin))
    assert first == second and first["seed"] == made["seed"]
    assert len(first["items"]) == 2 and {x["collector"] for x in first["items"]} == {"c1"}  # agA's only
    assert {x["attempt"] for x in first["items"]} <= {"s0-c1", "s1-c1", "s2-c1"}
    # A given seed draws the same sample for anyone: a second inspection with it.
    same = ok(client.post("/v1/inspections", json={**body, "seed": made["seed"]}, headers=admin), 201)
    assert ok(client.get(f"/v1/inspections/{same['id']}/sample", headers=auditor))["items"] == first["items"]
    # A self-inspection of bank samples bank's in-house collectors; an inspection without a period has no sample.
    own = ok(client.post("/v1/inspections", json=inspection(kind="self", org="bank", period_from="2026-05-18",
                                                            period_to="2026-05-20", sample_size=5), headers=admin), 201)
    assert {x["attempt"] for x in ok(client.get(f"/v1/inspections/{own['id']}/sample", headers=auditor))["items"]} == {
        "s0-bot1", "s1-bot1", "s2-bot1"}
    bare = ok(client.post("/v1/inspections", json=inspection(kind="agency_surprise"), headers=admin), 201)
    assert bare["seed"] is None
    assert client.get(f"/v1/inspections/{bare['id']}/sample", headers=auditor).status_code == 404
    no_period = client.post("/v1/inspections", json=inspection(sample_size=3), headers=admin)
    assert no_period.status_code == 422
    assert ok(client.get("/v1/inspections", headers=auditor))["total"] == 4

    # An order answering a finding links it; the finding answers with its order; a second order is refused.
    linked = ok(client.post("/v1/rectification-orders", json=order(inspection=made["id"], finding=1),
                            headers=admin), 201)
    assert (linked["inspection_id"], linked["finding_n"]) == (made["id"], 1)
    findings = ok(client.get(f"/v1/inspections/{made['id']}", headers=auditor))["findings"]
    assert [(f["n"], f["order_id"]) for f in findings] == [(1, linked["id"]), (2, None)]
    dup = client.post("/v1/rectification-orders", json=order(inspection=made["id"], finding=1), headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "finding-has-order" and dup.json()["field"] == "finding"
    assert linked["id"] in dup.json()["message_en"]
    missing = client.post("/v1/rectification-orders", json=order(inspection=made["id"], finding=9), headers=admin)
    assert missing.status_code == 404 and missing.json()["field"] == "finding"
    alone = client.post("/v1/rectification-orders", json=order(finding=1), headers=admin)
    assert alone.status_code == 422
    past = client.post("/v1/rectification-orders", json=order(due="2026-05-19"), headers=admin)
    assert past.status_code == 422 and past.json()["field"] == "due"
    assert ok(client.get("/v1/rectification-orders", headers=auditor))["total"] == 1



def test_two_orders_for_one_finding_at_once_the_second_is_refused(c, clock):
    """The finding is locked before it is checked: on PostgreSQL an order committed while the second request waited
    was invisible to it, and both orders were opened (the finding linked the last)."""
    client, h = c
    admin = h["institution_admin"]
    made = ok(client.post("/v1/inspections", json=inspection(findings=[{"rule": "art9-quiet-hours",
                                                                         "severity": "major"}]), headers=admin), 201)
    store = client.app.state.store  # type: ignore[attr-defined]
    answers: list[Any] = []
    second = threading.Thread(target=lambda: answers.append(client.post(
        "/v1/rectification-orders", json=order(inspection=made["id"], finding=1), headers=admin)), daemon=True)
    with Units(store, "sm3").write(clock.now) as unit:  # the first order, in flight
        service.order(unit, RectificationOrderIn.model_validate({**order(inspection=made["id"], finding=1),
                                                                 "id": "ord_first"}))
        unit.session.flush()
        second.start()
        until_waiting(store, 1)
    second.join(WAIT_S * 2)
    assert answers, "the second request never got an answer"
    assert answers[0].status_code == 409 and answers[0].json()["code"] == "finding-has-order", answers[0].text
    assert [o["id"] for o in ok(client.get("/v1/rectification-orders", headers=h["auditor"]))["items"]] == [
        "ord_first"]
    findings = ok(client.get(f"/v1/inspections/{made['id']}", headers=h["auditor"]))["findings"]
    assert findings[0]["order_id"] == "ord_first"



def test_an_order_done_twice_at_once_is_done_once(c, clock):
    """The order is locked before `done_at` is checked: on PostgreSQL two requests at once both met it, and the
    ledger recorded it done twice."""
    client, h = c
    admin = h["institution_admin"]
    opened = ok(client.post("/v1/rectification-orders", json=order(stop_collection=True), headers=admin), 201)
    store = client.app.state.store  # type: ignore[attr-defined]
    answers: list[Any] = []
    second = threading.Thread(target=lambda: answers.append(client.post(
        f"/v1/rectification-orders/{opened['id']}/done", json={"note": "second"}, headers=admin)), daemon=True)
    with Units(store, "sm3").write(clock.now) as unit:  # the first, in flight
        service.done(unit, RectificationDoneIn(order=opened["id"], note="first"))
        unit.session.flush()
        second.start()
        until_waiting(store, 1)
    second.join(WAIT_S * 2)
    assert answers, "the second request never got an answer"
    assert answers[0].status_code == 409 and answers[0].json()["code"] == "already-done", answers[0].text
    assert ok(client.get(f"/v1/rectification-orders/{opened['id']}", headers=h["auditor"]))["done_note"] == "first"
    records = client.get("/v1/ledger?kind=oversight:rectification:done", headers=h["auditor"]).text.splitlines()
    assert len(records) == 1


# == 5. evidence files ======================================================================================
def upload(client: TestClient, headers: dict[str, str], content: bytes, name: str = "admission report.pdf") -> Any:
    return client.post("/v1/evidence-files", content=content,
                       headers={**headers, "X-Filename": name, "Content-Type": "application/pdf"})


def test_evidence_files_are_stored_by_hash_and_cited_by_it(c):
    client, h = c
    admin = h["institution_admin"]
    content = b"%PDF-1.7 admission report of agA"
    stored = ok(upload(client, admin, content), 201)
    assert stored["hash"].startswith("sm3:") and len(stored["hash"]) == 4 + 64
    assert stored["size"] == len(content) and stored["media_type"] == "application/pdf"
    assert ok(upload(client, h["compliance_officer"], content, "copy.pdf"), 201)["hash"] == stored["hash"]
    assert ok(upload(client, admin, content + b"!"), 201)["hash"] != stored["hash"]
    records = client.get("/v1/ledger?kind=oversight:evidence-file:stored", headers=h["auditor"])
    payloads = [json.loads(line)["body"]["payload"] for line in records.text.splitlines()]
    assert len(payloads) == 2 and payloads[0] == {"name": "admission report.pdf", "size": len(content),
                                                  "media_type": "application/pdf"}  # stored once; never the bytes
    got = client.get(f"/v1/evidence-files/{stored['hash']}", headers=h["auditor"])
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"].startswith("application/pdf")
    assert "attachment" in got.headers["content-disposition"]
    for role in ("bank2_admin", "agency_operator"):
        hidden = client.get(f"/v1/evidence-files/{stored['hash']}", headers=h[role])
        assert hidden.status_code == 404 and content.decode() not in hidden.text, role
    assert client.get(f"/v1/evidence-files/sm3:{'0' * 64}", headers=admin).status_code == 404
    assert client.get("/v1/evidence-files/md5:abc", headers=admin).status_code == 422
    assert upload(client, admin, b"").status_code == 422
    assert upload(client, h["auditor"], content).status_code == 403

    # Evaluations, commitments and inspections cite stored files; an unknown hash is not found, by its field.
    cited = ok(client.post("/v1/agency-evaluations", json=evaluation("agA", kind="annual", evidence=[
        {"name": "年度评估报告", "hash": stored["hash"]}]), headers=admin), 201)
    assert cited["evidence"] == [{"name": "年度评估报告", "hash": stored["hash"]}]
    assert cited["suggested"] is not None  # an annual evaluation carries the ledger's suggested grades
    unknown = f"sm3:{'a' * 64}"
    bad = client.post("/v1/agency-evaluations", json=evaluation("agA", kind="annual", evidence=[
        {"name": "x", "hash": unknown}]), headers=admin)
    assert bad.status_code == 404 and bad.json()["field"] == "evidence.0.hash", bad.text
    bad = client.post("/v1/inspections", json=inspection(evidence=[{"name": "底稿", "hash": stored["hash"]},
                                                                    {"name": "x", "hash": unknown}]), headers=admin)
    assert bad.status_code == 404 and bad.json()["field"] == "evidence.1.hash", bad.text
    bad = client.post("/v1/agency-commitments", json={"institution": "bank", "agency": "agA",
                                                      "items": ["confidentiality"], "document_hash": unknown},
                      headers=admin)
    assert bad.status_code == 404 and bad.json()["field"] == "document_hash", bad.text
    # bank2 cannot cite bank's file either: its hash is unknown to bank2.
    theirs = client.post("/v1/agency-evaluations", json={**evaluation("agA", kind="annual"), "institution": "bank2",
                                                         "evidence": [{"name": "x", "hash": stored["hash"]}]},
                         headers=h["bank2_admin"])
    assert theirs.status_code == 404 and theirs.json()["field"] == "evidence.0.hash", theirs.text


# == 6. the obligations calendar ============================================================================
def calendar(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/v1/obligations", params={"institution": "bank", **params}, headers=headers)


def test_the_calendar_now_and_at_an_earlier_instant(c, clock):
    client, h = c
    admin, auditor = h["institution_admin"], h["auditor"]
    now = ok(calendar(client, auditor))
    assert now["institution"] == "bank" and now["day"] == "2026-05-20" and now["timezone"] == "Asia/Shanghai"
    assert instant(now["at"]) == clock.now and now["due_within_days"] == 30
    keys = {i["key"]: i for i in now["items"]}
    assert {"art12-self-inspection:bank", "art18-annual-evaluation:agA", "art18-pre-expiry-evaluation:ag1",
            "art12-agency-inspection-scheduled:agB", "art6-annual-training:c1"} <= set(keys)
    assert keys["art6-annual-training:c1"]["status"] == "met" and keys["art6-annual-training:c1"]["agency"] == "agA"
    assert keys["art12-self-inspection:bank"]["agency"] is None
    assert sum(now["counts"].values()) == len(now["items"]) and now["counts"]["overdue"] == 0
    assert all(i["title_zh"] and i["title_en"] and i["article"] for i in now["items"])

    # An order due in five days, then a week passes: overdue now, due as it stood the day after it opened.
    opened = ok(client.post("/v1/rectification-orders", json=order(due="2026-05-25"), headers=admin), 201)
    inspected = ok(client.post("/v1/inspections", json=inspection(), headers=admin), 201)
    clock.now = at("2026-05-27 09:00")
    key = f"art18-rectification:{opened['id']}"
    items = {i["key"]: i for i in ok(calendar(client, auditor))["items"]}
    assert items[key]["status"] == "overdue" and items[key]["due_date"] == "2026-05-25"
    scheduled = items["art12-agency-inspection-scheduled:agA"]["evidence"]
    assert [(e["kind"], e["id"]) for e in scheduled] == [("inspection:agency_scheduled", inspected["id"])]
    before = ok(calendar(client, auditor, at="2026-05-21T09:00:00+08:00"))
    assert before["day"] == "2026-05-21" and instant(before["at"]) == at("2026-05-21 09:00")
    assert {i["key"]: i for i in before["items"]}[key]["status"] == "due"
    earlier = {i["key"]: i for i in ok(calendar(client, auditor, at="2026-05-20T09:59:00+08:00"))["items"]}
    assert key not in earlier  # not yet opened
    assert earlier["art12-agency-inspection-scheduled:agA"]["evidence"] == []
    overdue = ok(calendar(client, auditor, status="overdue"))
    assert [i["key"] for i in overdue["items"]] == [key] and overdue["counts"]["overdue"] == 1
    assert sum(overdue["counts"].values()) > 1  # the counts are of every item, the list of one status
    ok(client.post(f"/v1/rectification-orders/{opened['id']}/done", json={"note": "迟交"}, headers=admin))
    assert ok(calendar(client, auditor, status="overdue"))["items"] == []  # met late clears it

    future = calendar(client, auditor, at="2026-05-28T09:00:00+08:00")
    assert future.status_code == 422 and future.json()["field"] == "at", future.text
    assert calendar(client, auditor, at="2026-05-27").status_code == 422  # an instant, not a date
    assert calendar(client, auditor, institution="bank2").status_code == 404
    assert calendar(client, h["bank2_admin"]).status_code == 404
    assert calendar(client, auditor, status="late").status_code == 422
    assert calendar(client, auditor, due_within=400).status_code == 422


def test_an_agency_operator_sees_only_its_own_agencys_obligations(c):
    client, h = c
    ok(client.post("/v1/rectification-orders", json=order("agB"), headers=h["institution_admin"]), 201)
    everything = ok(calendar(client, h["auditor"]))
    assert {i["agency"] for i in everything["items"]} == {None, "agA", "agB"}
    mine = ok(calendar(client, h["agency_operator"]))
    assert mine["items"] and {i["agency"] for i in mine["items"]} == {"agA"}
    assert [i for i in everything["items"] if i["agency"] == "agA"] == mine["items"]
    assert sum(mine["counts"].values()) == len(mine["items"])
    theirs = ok(client.get("/v1/obligations", params={"institution": "bank2"}, headers=h["bank2_agency"]))
    assert {i["agency"] for i in theirs["items"]} == {"agA"}
    assert calendar(client, h["bank2_agency"]).status_code == 404
    assert calendar(client, h["integration"]).status_code == 403

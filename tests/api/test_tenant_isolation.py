"""租户隔离 Two lenders share one agency (agA): neither can change, learn or shadow the other's facts (art. 19(五)).

bank and bank2 both entrust agA (each under its own agreement). agA's collector c1 is a shared record that only
agA itself (its `agency_admin` key) or the platform may change; each lender's acceptance of c1 — a suspension, a
training it recognises — is its own and moves none of the other's decisions. Every test here failed before the
tenancy model of issue 9: bank2's training of c1 turned bank's deny into an allow, bank2 could list agB, write
agA's collectors and mint keys for them, and ids chosen by one tenant could collide with the other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from tests.api.conftest import Clock, admit, auth, two_tenant_world
from tests.factories import at

CALL = {"channel": "voice", "mode": "notification", "party": "d1", "debt": "loan1", "collector": "c1",
        "tool": "tel", "template": "t-voice"}


def _world() -> s.World:
    """The two-tenant world, with agA's c1 last trained more than a year before the test day, bank2's loan2
    placed with agA, and bank2's own line and template."""
    w = two_tenant_world()
    collectors = [c if c.id != "c1" else c.model_copy(update={"last_training": date(2025, 1, 5)})
                  for c in w.collectors]
    return w.model_copy(update={
        "collectors": collectors,
        "placements": [*w.placements, s.PlacementIn.model_validate(
            {"debt": "loan2", "agency": "agA", "from": "2026-05-01", "to": "2026-06-30"})],
        "tools": [*w.tools, s.ToolIn(id="tel2", institution="bank2", type="phone", official=True)],
        "templates": [*w.templates, s.TemplateIn(id="t2-voice", institution="bank2", audience="debtor",
                                                 channel="voice", approved=True, text="您好，这里是另一家银行。")],
    })


@pytest.fixture
def two(db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = Store(db_url)
    with store.transaction() as session:
        registry = Registry(session, at=at("2026-05-01 09:00"))
        registry.load_world(_world())
        tokens = {
            "bank": issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank").token,
            "bank_dialer": issue(registry, role=Role.INTEGRATION, institution_id="bank").token,
            "bank2": issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank2").token,
            "bank2_dialer": issue(registry, role=Role.INTEGRATION, institution_id="bank2").token,
            "agA": issue(registry, role=Role.AGENCY_ADMIN, institution_id=None, agency_id="agA").token,
        }
    store.dispose()
    app = create_app(db_url, migrate=False, clock=Clock(at("2026-05-20 10:00")))
    with TestClient(app) as client:
        yield client, tokens
    app.state.store.dispose()


def _ask(client: TestClient, token: str, ident: str, **kw: str) -> dict:
    r = client.post("/v1/attempts", json={**CALL, "id": ident, **kw}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def _bank2_call(ident: str) -> dict[str, str]:
    return {"debt": "loan2", "party": "d2", "tool": "tel2", "template": "t2-voice"}


def _failing(decision: dict) -> set[str]:
    return set(decision["failing_rules"])


# -- 1. a shared agency's people ----------------------------------------------------------------------------
def test_a_training_recorded_by_bank2_never_qualifies_the_collector_for_bank(two):
    client, t = two
    before = _ask(client, t["bank_dialer"], "b-1")
    assert not before["allowed"] and "art6-collector-qualified" in _failing(before)
    r = client.post("/v1/trainings", json={"collector": "c1", "date": "2026-05-10"}, headers=auth(t["bank2"]))
    assert r.status_code == 200 and r.json()["kind"] == "collector:training:recognised", r.text
    after = _ask(client, t["bank_dialer"], "b-2")
    assert not after["allowed"] and "art6-collector-qualified" in _failing(after)  # bank's deny stands
    assert "art6-collector-qualified" not in _failing(_ask(client, t["bank2_dialer"], "b2-1", **_bank2_call("b2-1")))
    # bank sees only the shared record, bank2 sees its own recognition beside it
    for token, recognised in (("bank", None), ("bank2", "2026-05-10")):
        c1 = client.get("/v1/collectors/c1", headers=auth(t[token])).json()
        assert c1["last_training"] == "2025-01-05" and c1["recognised_training"] == recognised, (token, c1)
        days = [x["day"] for x in client.get("/v1/collectors/c1/trainings", headers=auth(t[token])).json()]
        assert ("2026-05-10" in days) is (token == "bank2"), (token, days)


def test_the_agency_itself_records_a_training_that_every_institution_counts(two):
    client, t = two
    r = client.post("/v1/trainings", json={"collector": "c1", "date": "2026-05-10"}, headers=auth(t["agA"]))
    assert r.status_code == 200 and r.json()["kind"] == "collector:training:recorded", r.text
    assert "art6-collector-qualified" not in _failing(_ask(client, t["bank_dialer"], "b-1"))
    assert "art6-collector-qualified" not in _failing(_ask(client, t["bank2_dialer"], "b2-1", **_bank2_call("b2-1")))
    # recorded once in each institution's own ledger
    for token in ("bank", "bank2"):
        kinds = [line for line in client.get("/v1/ledger", params={"kind": "collector:training:recorded"},
                                             headers=auth(t[token])).text.splitlines()]
        assert len(kinds) == 1, (token, kinds)


def test_a_suspension_by_bank2_stops_c1_for_bank2_only(two):
    client, t = two
    client.post("/v1/trainings", json={"collector": "c1", "date": "2026-05-10"}, headers=auth(t["agA"]))
    r = client.post("/v1/collector-status", json={"collector": "c1", "status": "suspended"}, headers=auth(t["bank2"]))
    assert r.status_code == 200 and r.json()["kind"] == "collector:acceptance:changed", r.text
    assert _ask(client, t["bank_dialer"], "b-1")["allowed"]
    denied = _ask(client, t["bank2_dialer"], "b2-1", **_bank2_call("b2-1"))
    assert not denied["allowed"] and "art6-collector-qualified" in _failing(denied)
    assert client.get("/v1/collectors/c1", headers=auth(t["bank"])).json()["status"] == "active"
    assert client.get("/v1/collectors/c1", headers=auth(t["bank2"])).json()["institution_status"] == "suspended"


def test_no_institution_may_write_an_agencys_people(two):
    client, t = two
    for token in ("bank", "bank2"):
        patch = client.patch("/v1/collectors/c1", json={"pledge_signed": False}, headers=auth(t[token]))
        assert patch.status_code == 403, patch.text
        create = client.post("/v1/collectors", json={"ref": "plant", "org": "agA", "kind": "human",
                                                     "pre_job_exam": "2026-01-05", "pledge_signed": True,
                                                     "last_training": "2026-05-01"}, headers=auth(t[token]))
        assert create.status_code == 403, create.text
    assert client.get("/v1/collectors", params={"org": "agA"}, headers=auth(t["bank"])).json()["total"] == 1
    # the agency itself may, and both tenants find the change in their own ledger
    patch = client.patch("/v1/collectors/c1", json={"pledge_signed": True}, headers=auth(t["agA"]))
    assert patch.status_code == 200, patch.text
    for token in ("bank", "bank2"):
        lines = client.get("/v1/ledger", params={"kind": "registry:collector:updated"}, headers=auth(t[token])).text
        assert len(lines.splitlines()) == 1, (token, lines)
    # but not another agency's people, nor anything of an institution
    other = client.patch("/v1/collectors/bot1", json={"approved": False}, headers=auth(t["agA"]))
    assert other.status_code == 404
    assert client.get("/v1/debts", headers=auth(t["agA"])).status_code == 403


def test_no_institution_lists_an_agency_or_mints_its_keys_without_an_agreement(two):
    client, t = two
    listed = client.post("/v1/agency-status", json={"institution": "bank2", "agency": "agB", "status": "active"},
                         headers=auth(t["bank2"]))
    assert listed.status_code == 409 and listed.json()["code"] == "art17-agreement-active", listed.text
    key = client.post("/v1/keys", json={"role": "agency_operator", "agency": "agB"}, headers=auth(t["bank2"]))
    assert key.status_code == 422, key.text
    own = client.post("/v1/keys", json={"role": "agency_admin", "agency": "agA"}, headers=auth(t["bank2"]))
    assert own.status_code == 403, own.text
    # with an agreement, bank2 may list agB; its key then sees only bank2's placements
    agreement = client.post("/v1/agreements", json={"ref": "b2-agB", "institution": "bank2", "agency": "agB",
                                                    "from": "2026-01-01", "to": "2026-12-31"}, headers=auth(t["bank2"]))
    assert agreement.status_code == 201 and agreement.json()["id"] != "b2-agB", agreement.text
    admit(client, auth(t["bank2"]), "bank2", "agB")  # bank's admission of agB is bank's own (art. 17)
    listed = client.post("/v1/agency-status", json={"institution": "bank2", "agency": "agB", "status": "active"},
                         headers=auth(t["bank2"]))
    assert listed.status_code == 200, listed.text
    # bank's view of agB is unchanged
    agb = client.get("/v1/agencies/agB", headers=auth(t["bank"])).json()
    assert agb["listing_status"] == "active"


# -- 2. ids ------------------------------------------------------------------------------------------------
def test_ids_are_made_by_the_server_and_refs_are_per_institution(two):
    client, t = two
    with_id = client.post("/v1/debtors", json={"id": "k1", "name": "王五"}, headers=auth(t["bank2"]))
    assert with_id.status_code == 422 and "ref" in with_id.json()["message_en"], with_id.text
    first = client.post("/v1/debtors", json={"ref": "k1", "name": "王五"}, headers=auth(t["bank2"]))
    same_ref_other_tenant = client.post("/v1/debtors", json={"ref": "k1", "name": "赵六"}, headers=auth(t["bank"]))
    assert first.status_code == 201 and same_ref_other_tenant.status_code == 201
    assert first.json()["id"] != same_ref_other_tenant.json()["id"] and first.json()["id"] != "k1"
    again = client.post("/v1/debtors", json={"ref": "k1", "name": "王五"}, headers=auth(t["bank2"]))
    assert again.status_code == 409 and again.json()["code"] == "duplicate-ref"
    # bank's contact k1 is still what bank's attempts reach: refused stays refused, in bank's own zone
    client.post("/v1/contact-refusals", json={"contact": "k1"}, headers=auth(t["bank"]))
    refused = _ask(client, t["bank_dialer"], "b-k1", party="k1", collector="bot1", purpose="locate",
                   mode="interactive", template=None, recording=True)  # type: ignore[arg-type]
    assert "art8-contact-refused" in _failing(refused)


FOREIGN = {  # bank's objects, each with an id of the same kind that exists nowhere
    "/v1/debtors/{}": ("d1", "d-none"), "/v1/contacts/{}": ("k1", "k-none"), "/v1/debts/{}": ("loan1", "l-none"),
    "/v1/tools/{}": ("tel", "tel-none"), "/v1/templates/{}": ("t-voice", "t-none"),
    "/v1/agreements/{}": ("ag1", "ag-none"), "/v1/collectors/{}": ("bot1", "bot-none"),
    "/v1/templates/{}/versions": ("t-voice", "t-none"), "/v1/collectors/{}/trainings": ("bot1", "bot-none"),
}


def _same_answer(a, b, foreign: str, unknown: str) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.text.replace(foreign, "ID") == b.text.replace(unknown, "ID"), (a.text, b.text)


@pytest.mark.parametrize("path", list(FOREIGN))
def test_foreign_and_unknown_ids_answer_alike(two, path):
    client, t = two
    foreign, unknown = FOREIGN[path]
    for method, body in (("GET", None), ("PATCH", {"active": True})):
        if method == "PATCH" and path.count("/") > 3:
            continue
        a = client.request(method, path.format(foreign), json=body, headers=auth(t["bank2"]))
        b = client.request(method, path.format(unknown), json=body, headers=auth(t["bank2"]))
        _same_answer(a, b, foreign, unknown)
        assert a.status_code in (404, 422), a.text
    # and nothing of bank was changed: bank still reads its object as before
    assert client.get(path.format(foreign), headers=auth(t["bank"])).status_code == 200


def test_events_on_foreign_objects_answer_like_unknown_ones_and_change_nothing(two):
    client, t = two
    for path, body, key in (("/v1/repayments", {"debt": "loan1", "settled": True}, "debt"),
                            ("/v1/contact-refusals", {"contact": "k1"}, "contact"),
                            ("/v1/debtor-status", {"debtor": "d1", "status": "deceased"}, "debtor"),
                            ("/v1/collector-status", {"collector": "bot1", "status": "suspended"}, "collector"),
                            ("/v1/trainings", {"collector": "bot1", "date": "2026-05-01"}, "collector")):
        foreign = client.post(path, json=body, headers=auth(t["bank2"]))
        unknown = client.post(path, json={**body, key: "x-none"}, headers=auth(t["bank2"]))
        _same_answer(foreign, unknown, body[key], "x-none")
        assert foreign.status_code == 404
    assert client.get("/v1/debts/loan1", headers=auth(t["bank"])).json()["status"] == "open"
    assert client.get("/v1/contacts/k1", headers=auth(t["bank"])).json()["refused"] is False
    assert client.get("/v1/debtors/d1", headers=auth(t["bank"])).json()["status"] == "normal"
    assert client.get("/v1/collectors/bot1", headers=auth(t["bank"])).json()["status"] == "active"


# -- 3. decisions ------------------------------------------------------------------------------------------
def test_a_decision_says_nothing_of_another_tenants_tool_template_or_collector(two):
    client, t = two
    decision = _ask(client, t["bank2_dialer"], "b2-x", **{**_bank2_call("b2-x"), "tool": "tel", "template": "t-voice"})
    assert not decision["allowed"]
    by_rule = set(decision["failing_rules"])
    assert {"art10-tool-scope", "art15-template-approved"} <= set(by_rule)
    assert "art10-registered-tool" not in by_rule
    text = str(decision)
    assert "bank" not in text.replace("bank2", "") and "示例银行" not in text, text
    # bank's in-house AI agent is not bank2's to name: the same answer as a collector that does not exist
    foreign = client.post("/v1/attempts", json={**CALL, **_bank2_call("b2-y"), "id": "b2-y", "collector": "bot1"},
                          headers=auth(t["bank2_dialer"]))
    unknown = client.post("/v1/attempts", json={**CALL, **_bank2_call("b2-z"), "id": "b2-z", "collector": "bot-none"},
                          headers=auth(t["bank2_dialer"]))
    _same_answer(foreign, unknown, "bot1", "bot-none")
    assert foreign.status_code == 404


def test_a_reference_finds_only_the_callers_own_object(two):
    client, t = two
    made = client.post("/v1/debts", json={"ref": "LN-0001", "institution": "bank2", "debtor": "d2",
                                          "product": "card"}, headers=auth(t["bank2"])).json()
    found = client.get("/v1/refs/debt/LN-0001", headers=auth(t["bank2"]))
    assert found.status_code == 200 and found.json()["id"] == made["id"]
    assert client.get("/v1/refs/debt/LN-0001", headers=auth(t["bank"])).status_code == 404
    assert client.get("/v1/refs/planet/LN-0001", headers=auth(t["bank2"])).status_code == 422


def test_an_attempt_id_used_by_another_institution_answers_as_a_fresh_one(two):
    client, t = two
    client.post("/v1/trainings", json={"collector": "c1", "date": "2026-05-10"}, headers=auth(t["agA"]))
    first = _ask(client, t["bank_dialer"], "call-1")
    reused = _ask(client, t["bank2_dialer"], "call-1", **_bank2_call("call-1"))
    fresh = _ask(client, t["bank2_dialer"], "call-2", **_bank2_call("call-2"))
    assert first["attempt_id"] == reused["attempt_id"] == "call-1" and fresh["attempt_id"] == "call-2"
    assert reused["allowed"] == fresh["allowed"] and reused["failing_rules"] == fresh["failing_rules"]
    # each reads and settles its own, under the id it sent
    for token in ("bank", "bank2"):
        read = client.get("/v1/attempts/call-1", headers=auth(t[token]))
        assert read.status_code == 200 and read.json()["attempt_id"] == "call-1", read.text
        outcome = client.post("/v1/attempts/call-1/outcome", json={"connected": True, "duration_s": 30},
                              headers=auth(t[f"{token}_dialer"]))
        assert outcome.status_code == 200 and outcome.json()["attempt_id"] == "call-1", outcome.text
    # a retry by either gets its own first answer
    again = _ask(client, t["bank2_dialer"], "call-1", **_bank2_call("call-1"))
    assert again["decision_id"] == reused["decision_id"]
    assert _ask(client, t["bank_dialer"], "call-1")["decision_id"] == first["decision_id"]
    # and an id only bank used is, for bank2, as unknown as one nobody used
    client.post("/v1/attempts", json={**CALL, "id": "only-bank"}, headers=auth(t["bank_dialer"]))
    _same_answer(client.get("/v1/attempts/only-bank", headers=auth(t["bank2"])),
                 client.get("/v1/attempts/nobody", headers=auth(t["bank2"])), "only-bank", "nobody")


def test_the_registering_institution_reads_its_new_agency_and_an_agency_key_keeps_no_ref(two):
    client, t = two
    made = client.post("/v1/agencies", json={"ref": "new-ag", "name": "丁催收"}, headers=auth(t["bank2"]))
    assert made.status_code == 201, made.text
    assert client.get(f"/v1/agencies/{made.json()['id']}", headers=auth(t["bank2"])).status_code == 200
    assert client.get(f"/v1/agencies/{made.json()['id']}", headers=auth(t["bank"])).status_code == 404
    with_id = client.post("/v1/debts", json={"id": "x", "institution": "bank2", "debtor": "d2", "product": "card"},
                          headers=auth(t["bank2"]))
    assert with_id.status_code == 422 and with_id.json()["errors"][0]["field"].endswith("id"), with_id.text
    ref = client.post("/v1/collectors", json={"ref": "c9", "org": "agA", "kind": "ai_agent"}, headers=auth(t["agA"]))
    assert ref.status_code == 422 and ref.json()["field"] == "ref", ref.text


def test_an_agency_cannot_register_a_collector_trained_or_examined_in_the_future(two):
    client, t = two
    body = {"org": "agA", "kind": "human", "pre_job_exam": "2026-01-05", "pledge_signed": True,
            "last_training": "2027-05-01"}
    future = client.post("/v1/collectors", json=body, headers=auth(t["agA"]))
    assert future.status_code == 422 and future.json()["field"] == "last_training", future.text
    exam = client.patch("/v1/collectors/c1", json={"pre_job_exam": "2026-05-21"}, headers=auth(t["agA"]))
    assert exam.status_code == 422 and exam.json()["field"] == "pre_job_exam", exam.text
    assert client.post("/v1/collectors", json={**body, "last_training": "2026-05-20"},
                       headers=auth(t["agA"])).status_code == 201

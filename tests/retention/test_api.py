"""Retention over HTTP, per role: the policy (≥ 2 years), a purge run, the deletion log, and an agency's request
to destroy its copies at the end of its agreement — approved (its key then stops working, its console users are
deactivated, its placements end) or refused with a reason."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from collectguard.auth.roles import Role
from collectguard.auth.service import PREFIX
from collectguard.db.store import Store
from collectguard.registry import models as m
from collectguard.registry.unit import Unit
from collectguard.users import service as users
from collectguard.users.models import UserRow
from tests.api.conftest import api, auth, clock  # noqa: F401  (fixtures)
from tests.factories import at

POLICY = "/v1/retention/policy"
REQUESTS = "/v1/retention/destruction-requests"


def test_the_policy_is_at_least_two_years_and_only_the_institution_sets_it(api):  # noqa: F811
    client, t = api
    assert client.get(POLICY, headers=auth(t["auditor"])).json() | {} == {
        "institution": "bank", "years": 5, "default": True, "set_at": None, "set_by": None, "ledger_seq": None}
    short = client.put(POLICY, json={"years": 1}, headers=auth(t["compliance_officer"]))
    assert short.status_code == 409 and short.json()["code"] == "art12-retention", short.text
    assert short.json()["field"] == "years" and "至少保存2年" in short.json()["message_zh"]
    for role in ("auditor", "agency_operator", "integration"):
        assert client.put(POLICY, json={"years": 6}, headers=auth(t[role])).status_code == 403, role
    done = client.put(POLICY, json={"years": 2, "set_by": "合规 钱"}, headers=auth(t["compliance_officer"]))
    assert done.status_code == 200 and done.json()["years"] == 2 and not done.json()["default"]
    assert client.get(POLICY, headers=auth(t["bank2_admin"])).json()["years"] == 5  # another tenant's own


def test_a_run_is_the_institution_s_and_a_dry_run_lists_pseudonymous_ids(api, clock):  # noqa: F811
    client, t = api
    assert client.post("/v1/retention/runs", json={"approved_by": "x"}, headers=auth(t["agency_operator"])) \
        .status_code == 403
    settled = client.post("/v1/repayments", json={"debt": "loan3", "settled": True}, headers=auth(t["compliance_officer"]))
    assert settled.status_code == 200, settled.text
    clock.now = at("2031-06-01 09:00")
    dry = client.post("/v1/retention/runs", json={"approved_by": "合规 钱", "dry_run": True},
                      headers=auth(t["compliance_officer"]))
    assert dry.status_code == 200 and dry.json()["debtors"] == ["d3"] and dry.json()["run_id"] is None
    done = client.post("/v1/retention/runs?vacuum=none", json={"approved_by": "合规 钱"},
                       headers=auth(t["institution_admin"]))
    assert done.status_code == 200 and done.json()["count"] == 1 and done.json()["vacuum"] == "none"
    log = client.get("/v1/deletion-log", headers=auth(t["auditor"])).json()
    assert log["total"] == 1 and log["items"][0]["subject_id"] == "d3"
    assert log["items"][0]["reason"] == "retention_expired" and log["items"][0]["approved_by"] == "合规 钱"
    assert "name" in log["items"][0]["kinds"]
    assert client.get("/v1/deletion-log", headers=auth(t["agency_operator"])).json()["total"] == 0  # not its own
    assert client.get("/v1/deletion-log", headers=auth(t["bank2_admin"])).json()["total"] == 0
    masked = client.get("/v1/debtors/d3", headers=auth(t["compliance_officer"])).json()
    assert masked["name"] is None


def test_destruction_needs_the_agreement_ended_and_approval_ends_the_agency_s_access(api, clock, db_url):  # noqa: F811
    client, t = api
    early = client.post(REQUESTS, json={"note": "协议到期"}, headers=auth(t["agency_operator"]))
    assert early.status_code == 409 and early.json()["code"] == "agreement-not-ended", early.text
    store = Store(db_url)
    with store.transaction() as session:
        unit = Unit(session, at=at("2026-05-20 10:00"))
        users.create_user(unit, username="ag-op", role=Role.AGENCY_OPERATOR, password="a-long-password-42",
                          institution_id="bank", agency_id="agA")
        # a placement that would still run after the agreement ended
        session.add(m.Placement(debt_id="loan1", agency_id="agA", valid_from=date(2026, 12, 1), valid_to=date(2027, 3, 31)))
    clock.now = at("2027-01-05 10:00")
    made = client.post(REQUESTS, json={"note": "协议已于2026-12-31到期", "requested_by": "甲催收 赵"},
                       headers=auth(t["agency_operator"]))
    assert made.status_code == 201 and made.json()["status"] == "requested", made.text
    ident = made.json()["id"]
    again = client.post(REQUESTS, json={}, headers=auth(t["agency_operator"]))
    assert again.status_code == 409 and again.json()["code"] == "destruction-pending"
    assert [r["id"] for r in client.get(REQUESTS, headers=auth(t["agency_operator"])).json()["items"]] == [ident]
    assert client.get(REQUESTS, headers=auth(t["bank2_agency"])).json()["total"] == 0  # bank2's view of agA
    for role in ("auditor", "agency_operator", "integration"):
        assert client.post(f"{REQUESTS}/{ident}/approve", json={"decided_by": "x"},
                           headers=auth(t[role])).status_code == 403, role
    assert client.post(f"{REQUESTS}/{ident}/approve", json={"decided_by": "x"},
                       headers=auth(t["bank2_admin"])).status_code == 404  # another tenant's request: not found
    approved = client.post(f"{REQUESTS}/{ident}/approve", json={"decided_by": "合规 钱"},
                           headers=auth(t["compliance_officer"]))
    assert approved.status_code == 200, approved.text
    outcome = approved.json()["outcome"]
    assert approved.json()["status"] == "approved" and outcome["placements_ended"] == 1 and outcome["debtors"] == 1
    assert outcome["keys_revoked"] == [t["agency_operator"].removeprefix(PREFIX).partition(".")[0]]
    assert len(outcome["users_deactivated"]) == 1
    # the agency's key for bank no longer works; its key for bank2 still does
    assert client.get(REQUESTS, headers=auth(t["agency_operator"])).status_code == 401
    assert client.get(REQUESTS, headers=auth(t["bank2_agency"])).status_code == 200
    with store.read() as session:
        assert session.execute(select(UserRow.active).where(UserRow.username == "ag-op")).scalar_one() is False
        placement = session.execute(select(m.Placement).where(m.Placement.valid_from == date(2026, 12, 1))).scalar_one()
        assert placement.valid_to == date(2027, 1, 4)
    store.dispose()
    log = client.get("/v1/deletion-log?subject_kind=agency-copy", headers=auth(t["auditor"])).json()
    assert log["total"] == 1 and log["items"][0] | {} == {**log["items"][0], "subject_id": "agA",
                                                        "reason": "agreement_ended", "request_id": ident,
                                                        "approved_by": "合规 钱"}
    twice = client.post(f"{REQUESTS}/{ident}/approve", json={"decided_by": "合规 钱"},
                        headers=auth(t["compliance_officer"]))
    assert twice.status_code == 409 and twice.json()["code"] == "destruction-decided"


def test_a_refusal_needs_a_reason_and_leaves_the_agency_s_access(api, clock):  # noqa: F811
    client, t = api
    clock.now = at("2027-01-05 10:00")
    made = client.post(REQUESTS, json={"agency": "agB"}, headers=auth(t["compliance_officer"]))
    assert made.status_code == 201, made.text
    ident = made.json()["id"]
    bare = client.post(f"{REQUESTS}/{ident}/refuse", json={"decided_by": "合规 钱"}, headers=auth(t["compliance_officer"]))
    assert bare.status_code == 422 and bare.json()["field"] == "reason"
    refused = client.post(f"{REQUESTS}/{ident}/refuse", json={"decided_by": "合规 钱", "reason": "尚有争议案件待移交"},
                          headers=auth(t["compliance_officer"]))
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert refused.json()["decision_reason"] == "尚有争议案件待移交"
    assert client.get("/v1/deletion-log", headers=auth(t["auditor"])).json()["total"] == 0
    assert client.post(REQUESTS, json={"agency": "nope"}, headers=auth(t["compliance_officer"])).status_code == 404

"""权限矩阵 Who may do what: every role (the five of bank, bank2's admin and agency operator, and no key)
against every endpoint family, with the status each must get. Cross-tenant answers are 404 and carry none
of bank's data (art. 19(五)); an agency reaches only what is placed with it now (art. 20(三))."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import auth

CALL = {"collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
AGENCY_ROLES = {"agency_operator", "bank2_agency"}


def requests(role: str, template: str = "t-pending") -> dict[str, tuple[str, str, dict | None]]:
    """One representative request per endpoint family, all on bank's records; refs unique per role."""
    collector = "c1" if role in AGENCY_ROLES else "bot1"
    return {
        "registry read": ("GET", "/v1/debtors/d1", None),
        "registry list": ("GET", "/v1/debts", None),
        "registry write": ("POST", "/v1/collectors", {"ref": f"new-{role}", "org": "bank", "kind": "ai_agent"}),
        "registry patch": ("PATCH", "/v1/debts/loan1", {"overdue_amount": "3300.00"}),
        "template approve": ("POST", f"/v1/templates/{template}/approve", {"version": 1}),
        "gate ask": ("POST", "/v1/attempts", {**CALL, "id": f"ask-{role}", "collector": collector}),
        "gate read": ("GET", "/v1/attempts/seed", None),
        "outcome": ("POST", "/v1/attempts/seed/outcome", {"connected": False}),
        "events": ("POST", "/v1/repayments", {"debt": "loan1", "amount": "10.00", "settled": False}),
        "holds write": ("POST", "/v1/holds", {"id": f"h-{role}", "institution": "bank", "debt": "loan1",
                                              "reason": "dispute"}),
        "holds read": ("GET", "/v1/holds", None),
        "ledger": ("GET", "/v1/ledger", None),
        "keys": ("GET", "/v1/keys", None),
        "oversight read": ("GET", "/v1/inspections", None),
        "oversight write": ("POST", "/v1/inspections", {"institution": "bank", "kind": "self", "org": "bank"}),
    }


FAMILIES = list(requests("x"))
MATRIX = {  # columns in FAMILIES order
    #                      read list write patch tpl  ask  gread outc evts hold-w hold-r ledgr keys ov-r ov-w
    "institution_admin":  (200, 200, 201, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200, 201),
    "compliance_officer": (200, 200, 403, 403, 200, 403, 200, 403, 200, 201, 200, 200, 403, 200, 201),
    "auditor":            (200, 200, 403, 403, 403, 403, 200, 403, 403, 403, 200, 200, 403, 200, 403),
    "agency_operator":    (200, 200, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 403, 200, 403),
    "integration":        (403, 403, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403),
    "bank2_admin":        (404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 200, 200, 200, 200, 404),
    "bank2_agency":       (404, 200, 403, 403, 403, 404, 404, 404, 404, 403, 403, 403, 403, 200, 403),
}
# What bank2 must never see of bank: names, phone digits, amounts, products, bank's own name.
BANK_DATA = ("张三", "张*", "13800138000", "138****8000", "3200", "cash-loan", "示例银行", "loan3", "colleague")


@pytest.fixture
def world(api):
    """bank's world plus a pending template and one attempt (by agA's collector c1) to read and settle."""
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    r = client.post("/v1/templates", json={"ref": "t-pending", "institution": "bank", "audience": "debtor",
                                           "channel": "sms", "text": "【示例银行】请按时还款。"}, headers=admin)
    assert r.status_code == 201, r.text
    seed = client.post("/v1/attempts", json={**CALL, "id": "seed", "collector": "c1"},
                       headers=auth(tokens["integration"]))
    assert seed.status_code == 200, seed.text
    return client, tokens, r.json()["id"]


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_against_every_endpoint_family(world, role):
    client, tokens, template = world
    headers = auth(tokens[role])
    got = {}
    for family, (method, path, body) in requests(role, template).items():
        r = client.request(method, path, json=body, headers=headers)
        got[family] = r.status_code
        if role.startswith("bank2"):
            # hashes and server-made ids are hex: "3200" may stand in one by chance, and is no leak
            text = re.sub(r"[0-9a-f]{16,}", "", r.text)
            leaked = [x for x in BANK_DATA if x in text]
            assert not leaked, f"{role} {family}: {leaked} in {r.text[:300]}"
        if r.status_code >= 400:
            assert r.json()["code"] and r.json()["message_zh"] and r.json()["message_en"], (family, r.text)
    assert got == dict(zip(FAMILIES, MATRIX[role], strict=True))


def test_without_a_key_or_with_a_bad_one_everything_is_401(world):
    client, _, _ = world
    for token in (None, "cgk_0000000000000000.wrong", "Bearer-less"):
        headers = {} if token is None else auth(token)
        for family, (method, path, body) in requests("none").items():
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (family, token, r.status_code)
            assert r.json()["code"] == "unauthenticated" and "张" not in r.text


def test_bank2_lists_hold_only_its_own_records(world):
    client, tokens, _ = world
    for role in ("bank2_admin", "bank2_agency"):
        headers = auth(tokens[role])
        debts = client.get("/v1/debts", headers=headers).json()
        expected = ["loan2"] if role == "bank2_admin" else []  # loan2 is not placed with agA
        assert [d["id"] for d in debts["items"]] == expected, role
        for path in ("/v1/debtors", "/v1/contacts", "/v1/placements", "/v1/collectors", "/v1/tools"):
            r = client.get(path, headers=headers)
            assert r.status_code == 200 and not [x for x in BANK_DATA if x in r.text], (role, path)
    admin2 = auth(tokens["bank2_admin"])
    assert [d["id"] for d in client.get("/v1/debtors", headers=admin2).json()["items"]] == ["d2"]
    assert client.get("/v1/collectors", headers=admin2).json()["total"] == 1  # agA's c1, not bank's bot1
    for path in ("/v1/debts/loan1", "/v1/contacts/k1", "/v1/tools/tel", "/v1/templates/t-voice",
                 "/v1/agreements/ag1", "/v1/collectors/bot1", "/v1/agencies/agB", "/v1/institutions/bank"):
        r = client.get(path, headers=admin2)
        assert r.status_code == 404 and not [x for x in BANK_DATA if x in r.text], path
    for method, path, body in (("PATCH", "/v1/debtors/d1", {"phone": "13000000000"}),
                               ("PATCH", "/v1/contacts/k1", {"relation": "friend"}),
                               ("PATCH", "/v1/tools/tel", {"filed": True}),
                               ("POST", "/v1/contacts", {"ref": "k9", "debtor": "d1"}),
                               ("POST", "/v1/debts", {"ref": "l9", "institution": "bank2", "debtor": "d1",
                                                      "product": "x"})):
        assert client.request(method, path, json=body, headers=admin2).status_code == 404, path


def test_another_agency_of_the_same_bank_sees_nothing_placed_elsewhere(world):
    client, tokens, _ = world
    issued = client.post("/v1/keys", json={"role": "agency_operator", "agency": "agB"},
                         headers=auth(tokens["institution_admin"]))
    assert issued.status_code == 201, issued.text
    agb = auth(issued.json()["token"])
    for path in ("/v1/debts/loan1", "/v1/debtors/d1", "/v1/contacts/k1", "/v1/collectors/c1", "/v1/attempts/seed",
                 "/v1/agencies/agA"):
        r = client.get(path, headers=agb)
        assert r.status_code == 404 and "张" not in r.text and "138" not in r.text, path
    for path in ("/v1/debts", "/v1/debtors", "/v1/contacts", "/v1/placements", "/v1/collectors"):
        assert client.get(path, headers=agb).json()["total"] == 0, path
    ask = client.post("/v1/attempts", json={**CALL, "id": "agb-1", "collector": "c1"}, headers=agb)
    assert ask.status_code == 404

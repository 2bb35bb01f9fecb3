"""An agency's public contact (art. 13): its own key (`agency_admin`) sets it; institutions' keys cannot; it shows
at once on every institution's list that entrusts the agency, and the change is in the ledger."""

from __future__ import annotations

import json

import pytest

from tests.public.conftest import Public, auth

PATH = "/v1/agencies/agA/public-contact"


def ledger(public: Public, kind: str, token: str = "auditor") -> list[dict]:
    text = public.client.get("/v1/ledger", params={"kind": kind}, headers=auth(public.tokens[token])).text
    return [json.loads(line) for line in text.splitlines()]


def test_the_agency_sets_its_contact_and_every_list_shows_it(public):
    r = public.client.put(PATH, json={"phone": "+86 21 6888 8888", "address": "上海市浦东新区世纪大道 100 号"},
                          headers=auth(public.tokens["agA_admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "021 6888 8888" and r.json()["agency_id"] == "agA"
    listed = {a["name"]: a for a in public.client.get("/public/bank/agencies.json").json()["agencies"]}
    assert listed["甲催收"]["phone"] == "021 6888 8888" and listed["甲催收"]["address"].startswith("上海市")
    assert "021 6888 8888" in public.client.get("/public/bank/").text
    # read back: the agency itself, and an institution that works with it
    assert public.client.get(PATH, headers=auth(public.tokens["agA_admin"])).json() == r.json()
    assert public.client.get(PATH, headers=auth(public.tokens["auditor"])).json() == r.json()
    assert public.client.get(PATH, headers=auth(public.tokens["bank2_admin"])).status_code == 404  # not its agency


def test_the_change_is_recorded_and_the_public_list_recorded_again(public):
    version = public.client.get("/public/bank/agencies.json").json()["version"]
    known = len(ledger(public, "public:agency-list:changed"))
    bank2_known = len(ledger(public, "public:agency-list:changed", "bank2_admin"))
    assert public.client.put(PATH, json={"phone": "400-820-8888"},
                             headers=auth(public.tokens["agA_admin"])).status_code == 200
    changed = ledger(public, "public:agency-contact:changed")
    assert [(r["subject"], r["body"]["payload"]["phone"]) for r in changed] == [("agA", "400 820 8888")]
    lists = ledger(public, "public:agency-list:changed")[known:]
    assert len(lists) == 1 and lists[0]["subject"] == "bank"
    now = public.client.get("/public/bank/agencies.json").json()
    assert now["version"] != version and lists[0]["body"]["payload"]["version"] == now["version"]
    assert now["ledger_seq"] == lists[0]["seq"]
    # bank2 does not entrust agA: its public list did not change
    assert len(ledger(public, "public:agency-list:changed", "bank2_admin")) == bank2_known


@pytest.mark.parametrize(("token", "path", "status"), [
    ("institution_admin", PATH, 403),  # an agency's record is the agency's own
    ("compliance_officer", PATH, 403),
    ("auditor", PATH, 403),
    ("agency_operator", PATH, 403),
    ("agB_admin", PATH, 404),  # another agency's key: not found
    ("agA_admin", "/v1/agencies/nowhere/public-contact", 404),
])
def test_only_the_agencys_own_key_sets_it(public, token, path, status):
    r = public.client.put(path, json={"phone": "400-820-8888"}, headers=auth(public.tokens[token]))
    assert r.status_code == status, r.text


@pytest.mark.parametrize(("body", "field"), [
    ({}, "phone"),
    ({"phone": "12345678901"}, "phone"),
    ({"phone": "0000"}, "phone"),
    ({"address": "路" * 501}, "address"),
    ({"phone": "400-820-8888", "email": "a@b.cn"}, "email"),
])
def test_an_invalid_contact_is_a_422_naming_the_field(public, body, field):
    r = public.client.put(PATH, json=body, headers=auth(public.tokens["agA_admin"]))
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_no_contact_yet_is_a_404(public):
    assert public.client.get(PATH, headers=auth(public.tokens["agA_admin"])).status_code == 404

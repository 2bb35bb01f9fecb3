"""Issue 11: the performance scheme (art. 6(二)6): weights per subject summing to 100; refused (409,
art6-performance-metrics) where recovery counts alone or compliance, complaints or information security weigh 0;
every accepted scheme a new version and a ledger record."""

from __future__ import annotations

import pytest

URL = "/v1/monitoring/performance-scheme"
GOOD = {"collector": {"recovery": 40, "compliance": 30, "complaints": 15, "information_security": 15},
        "agency": {"recovery": 30, "compliance": 25, "complaints": 15, "information_security": 10, "task_quality": 10,
                   "records": 10}}


def _put(mon, body, who="compliance_officer"):  # type: ignore[no-untyped-def]
    return mon.client.put(URL, json=body, headers=mon.h(who))


def test_a_scheme_is_adopted_versioned_and_recorded(mon):
    assert mon.client.get(URL, headers=mon.h("auditor")).status_code == 404
    r = _put(mon, GOOD)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["version"] == 1 and first["collector"]["recovery"] == "40" and first["collector"]["task_quality"] == "0"
    assert mon.client.get(URL, headers=mon.h("auditor")).json() == first
    no_recovery = {**GOOD, "collector": {"compliance": 40.5, "complaints": 29.5, "information_security": 30}}
    second = _put(mon, no_recovery, "institution_admin").json()
    assert second["version"] == 2 and second["collector"]["compliance"] == "40.5"
    assert mon.client.get(URL, headers=mon.h("agency_operator")).json()["version"] == 2
    records = mon.ledger("monitoring:performance-scheme:adopted")
    assert [rec["seq"] for rec in records] == [first["ledger_seq"], second["ledger_seq"]]
    # Another institution has none of its own.
    assert mon.client.get(URL, headers=mon.h("bank2_admin")).status_code == 404
    for who in ("auditor", "agency_operator", "integration"):
        assert _put(mon, GOOD, who).status_code == 403


@pytest.mark.parametrize(("subject", "weights", "field"), [
    ("collector", {"recovery": 100}, "collector.recovery"),
    ("collector", {"recovery": 70, "compliance": 15, "complaints": 15}, "collector.information_security"),
    ("collector", {"recovery": 50, "compliance": 0, "complaints": 25, "information_security": 25},
     "collector.compliance"),
    ("collector", {"recovery": 60, "compliance": 25, "information_security": 15}, "collector.complaints"),
    ("agency", {"recovery": 100}, "agency.recovery"),
    ("agency", {"recovery": 40, "compliance": 20, "complaints": 20, "task_quality": 20},
     "agency.information_security"),
])
def test_recovery_alone_or_a_missing_criterion_is_refused(mon, subject, weights, field):
    r = _put(mon, {**GOOD, subject: weights})
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "art6-performance-metrics" and body["field"] == field
    assert "第6条第(二)款第6项" in body["message_zh"] and "art. 6(二)6" in body["message_en"]
    assert mon.client.get(URL, headers=mon.h("auditor")).status_code == 404
    assert mon.ledger("monitoring:performance-scheme:adopted") == []


@pytest.mark.parametrize("body", [
    {**GOOD, "collector": {"recovery": 40, "compliance": 30, "complaints": 15, "information_security": 10}},  # 95
    {**GOOD, "collector": {**GOOD["collector"], "bonus": 0}},  # an unknown criterion
    {**GOOD, "collector": {**GOOD["collector"], "recovery": -40, "compliance": 110}},
    {**GOOD, "collector": {**GOOD["collector"], "recovery": True}},
    {**GOOD, "collector": {**GOOD["collector"], "recovery": "40"}},
    {**GOOD, "collector": {**GOOD["collector"], "recovery": 39.999, "compliance": 30.001}},
    {"collector": GOOD["collector"]},  # no agency assessment
])
def test_weights_are_percentages_summing_to_100(mon, body):
    assert _put(mon, body).status_code == 422

"""Issue 11, item 3: thresholds per institution, flags raised by a day's run (idempotent), suspension through the
collector's status (the gate then denies it) and dismissal with a note; every change in the ledger; roles."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from collectguard.cli import app as cli

LIMITS = {"max_denials_per_day": 1, "max_after_deny_per_day": 0, "max_against_deny_per_day": 0,
          "max_qa_findings_per_day": 5}


def _busy_day(mon):  # type: ignore[no-untyped-def]
    """c1 (agA): two denials (quiet hours), two attempts after a deny, one contact against a deny.
    cB (agB): two denials (no recording), one asked again after the first."""
    mon.ask("2026-05-20 07:30", "a0")
    mon.ask("2026-05-20 07:31", "a0b")
    mon.report("2026-05-20 07:32", "a0", connected=True, duration_s=20)
    mon.ask("2026-05-20 09:00", "a1")
    mon.ask("2026-05-20 09:05", "b1", b=True, mode="interactive", template=None)
    mon.ask("2026-05-20 09:06", "b2", b=True, mode="interactive", template=None)


def _put(mon, body, who="compliance_officer"):  # type: ignore[no-untyped-def]
    return mon.client.put("/v1/monitoring/thresholds", json=body, headers=mon.h(who))


def _run(mon, day="2026-05-20", who="compliance_officer"):  # type: ignore[no-untyped-def]
    return mon.client.post(f"/v1/monitoring/run?day={day}", headers=mon.h(who))


def test_thresholds_are_set_by_the_institution_and_recorded(mon):
    empty = mon.client.get("/v1/monitoring/thresholds", headers=mon.h("auditor")).json()
    assert empty["max_denials_per_day"] is None and empty["changed_at"] is None and not empty["auto_suspend"]
    r = _put(mon, LIMITS)
    assert r.status_code == 200, r.text
    assert r.json()["max_after_deny_per_day"] == 0 and r.json()["changed_at"] is not None
    assert mon.client.get("/v1/monitoring/thresholds", headers=mon.h("auditor")).json() == r.json()
    assert _put(mon, {"max_denials_per_day": 3}, "institution_admin").json()["max_after_deny_per_day"] is None
    records = mon.ledger("monitoring:thresholds:changed")
    assert [rec["subject"] for rec in records] == ["bank", "bank"]
    for who in ("auditor", "agency_operator", "integration"):
        assert _put(mon, LIMITS, who).status_code == 403, who
    assert mon.client.get("/v1/monitoring/thresholds", headers=mon.h("agency_operator")).status_code == 403
    assert _put(mon, {"max_denials_per_day": -1}).status_code == 422
    assert _put(mon, {"max_denials_per_day": True}).status_code == 422
    assert _put(mon, {"unknown": 1}).status_code == 422
    # Another institution's thresholds are its own.
    assert mon.client.get("/v1/monitoring/thresholds", headers=mon.h("bank2_admin")).json()[
        "max_denials_per_day"] is None


def test_a_run_raises_one_flag_per_threshold_exceeded_and_never_twice(mon):
    _busy_day(mon)
    assert _put(mon, LIMITS).status_code == 200
    r = _run(mon)
    assert r.status_code == 200, r.text
    raised = {(f["collector"], f["metric"]): f for f in r.json()["raised"]}
    assert set(raised) == {("c1", "denials"), ("c1", "after_deny"), ("c1", "against_deny"),
                           ("cB", "denials"), ("cB", "after_deny")}
    denials = raised[("c1", "denials")]
    assert (denials["value"], denials["threshold"], denials["agency"], denials["status"]) == (2, 1, "agA", "open")
    assert denials["evidence"] == {"attempts": ["a0", "a0b"]}
    assert raised[("c1", "after_deny")]["evidence"] == {"attempts": ["a0b", "a1"]}
    assert raised[("c1", "against_deny")]["evidence"] == {"attempts": ["a0"]}
    assert r.json()["already"] == [] and r.json()["suspended"] == []
    # Idempotent: the same day again raises nothing new.
    again = _run(mon).json()
    assert again["raised"] == [] and sorted(again["already"]) == sorted(f["id"] for f in raised.values())
    listed = mon.client.get("/v1/monitoring/flags?day=2026-05-20", headers=mon.h("auditor")).json()
    assert listed["total"] == 5
    assert len(mon.ledger("monitoring:flag:raised")) == 5
    # The command line is the same run: nothing new either.
    db_url = str(mon.client.app.state.settings.db_url)
    out = CliRunner().invoke(cli, ["monitor", "run", "--day", "2026-05-20", "--json", "--db", db_url])
    assert out.exit_code == 0, out.output
    [bank] = json.loads(out.output)
    assert bank["institution_id"] == "bank" and bank["raised"] == [] and len(bank["already"]) == 5
    # Nothing to raise where no threshold is set: bank2 has none.
    assert _run(mon, who="bank2_admin").json()["raised"] == []


def test_the_command_line_raises_flags(mon):
    _busy_day(mon)
    _put(mon, {"max_denials_per_day": 1})
    db_url = str(mon.client.app.state.settings.db_url)
    out = CliRunner().invoke(cli, ["monitor", "run", "--day", "2026-05-20", "--db", db_url])
    assert out.exit_code == 0, out.output
    assert "2 个新标记 new flag(s)" in out.output and "denials" in out.output
    bad = CliRunner().invoke(cli, ["monitor", "run", "--day", "20-05-2026", "--db", db_url])
    assert bad.exit_code != 0
    unknown = CliRunner().invoke(cli, ["monitor", "run", "--institution", "nobody", "--db", db_url])
    assert unknown.exit_code != 0


def _gate(mon, ident, when="2026-05-21 09:00", **kw):  # type: ignore[no-untyped-def]
    return mon.ask(when, ident, **kw)


def test_suspending_a_flag_suspends_the_collector_for_the_institution(mon):
    _busy_day(mon)
    _put(mon, {"max_against_deny_per_day": 0})
    [flag] = _run(mon).json()["raised"]
    assert (flag["collector"], flag["metric"]) == ("c1", "against_deny")
    assert _gate(mon, "before")["decision"] == "allow"
    for who in ("auditor", "agency_operator"):
        assert mon.client.post(f"/v1/monitoring/flags/{flag['id']}/suspend", headers=mon.h(who)).status_code == 403
    r = mon.client.post(f"/v1/monitoring/flags/{flag['id']}/suspend", json={"note": "反复被拒后仍拨打"},
                        headers=mon.h("compliance_officer"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended" and r.json()["note"] == "反复被拒后仍拨打"
    # A real gate decision: the collector is no longer qualified for this institution.
    after = _gate(mon, "after")
    assert after["decision"] == "deny" and "art6-collector-qualified" in after["failing_rules"]
    # Another institution's acceptance is its own (art. 19(五)): bank2's view of c1 is unchanged.
    assert mon.client.get("/v1/collectors/c1", headers=mon.h("institution_admin")).json()["institution_status"] == \
        "suspended"
    shared = mon.client.get("/v1/collectors/c1", headers=mon.h("bank2_admin")).json()
    assert shared["status"] == "active" and shared["institution_status"] in (None, "active")
    assert [rec["subject"] for rec in mon.ledger("monitoring:flag:suspended")] == [str(flag["id"])]
    assert mon.ledger("collector:acceptance:changed")[-1]["subject"] == "c1"
    # Handled once: a second suspension, or a dismissal now, is a conflict.
    twice = mon.client.post(f"/v1/monitoring/flags/{flag['id']}/suspend", headers=mon.h("institution_admin"))
    assert twice.status_code == 409 and twice.json()["code"] == "flag-not-open"


def test_auto_suspend_suspends_at_the_run(mon):
    _busy_day(mon)
    _put(mon, {"max_denials_per_day": 1, "max_after_deny_per_day": 0, "auto_suspend": True})
    r = _run(mon).json()
    assert r["suspended"] == ["c1", "cB"]
    assert {f["status"] for f in r["raised"]} == {"suspended"}
    # Each collector's status changed once, however many of its flags were raised.
    assert len(mon.ledger("collector:acceptance:changed")) == 2
    assert len(mon.ledger("monitoring:flag:suspended")) == 4
    denied = _gate(mon, "after-auto")
    assert denied["decision"] == "deny" and "art6-collector-qualified" in denied["failing_rules"]


def test_dismissing_a_flag_needs_a_note(mon):
    _busy_day(mon)
    _put(mon, {"max_denials_per_day": 1})
    flags = _run(mon).json()["raised"]
    fid = next(f["id"] for f in flags if f["collector"] == "c1")
    url = f"/v1/monitoring/flags/{fid}/dismiss"
    assert mon.client.post(url, json={}, headers=mon.h("compliance_officer")).status_code == 422
    assert mon.client.post(url, json={"note": ""}, headers=mon.h("compliance_officer")).status_code == 422
    r = mon.client.post(url, json={"note": "静默时段系统时钟错误"}, headers=mon.h("compliance_officer"))
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert mon.ledger("monitoring:flag:dismissed")[0]["subject"] == str(fid)
    assert mon.client.post(url, json={"note": "again"}, headers=mon.h("compliance_officer")).status_code == 409
    assert mon.client.get("/v1/monitoring/flags?status=dismissed", headers=mon.h("auditor")).json()["total"] == 1
    assert _gate(mon, "still-allowed")["decision"] == "allow"


def test_an_agency_sees_only_its_own_flags(mon):
    _busy_day(mon)
    _put(mon, {"max_denials_per_day": 1})
    flags = {f["collector"]: f["id"] for f in _run(mon).json()["raised"]}
    a_list = mon.client.get("/v1/monitoring/flags", headers=mon.h("agency_operator")).json()
    assert [f["collector"] for f in a_list["items"]] == ["c1"] and a_list["total"] == 1
    b_list = mon.client.get("/v1/monitoring/flags", headers=mon.h("agB_operator")).json()
    assert [f["collector"] for f in b_list["items"]] == ["cB"]
    assert mon.client.get(f"/v1/monitoring/flags/{flags['c1']}", headers=mon.h("agency_operator")).status_code == 200
    other = mon.client.get(f"/v1/monitoring/flags/{flags['cB']}", headers=mon.h("agency_operator"))
    unknown = mon.client.get("/v1/monitoring/flags/999999", headers=mon.h("agency_operator"))
    assert other.status_code == unknown.status_code == 404
    assert other.json()["message_en"].replace(str(flags["cB"]), "?") == unknown.json()["message_en"].replace(
        "999999", "?")
    # Another institution sees none of them.
    assert mon.client.get(f"/v1/monitoring/flags/{flags['c1']}", headers=mon.h("bank2_admin")).status_code == 404
    assert mon.client.get("/v1/monitoring/flags", headers=mon.h("bank2_admin")).json()["total"] == 0

"""Issue 11, item 3: daily figures per collector and per agency — denials by rule, repeated attempts after a deny,
contacts against a deny, QA findings — read from the ledger's tables in two statements per period."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import event
from tests.factories import at

from collectguard.monitoring import repository as repo


def _day(mon):  # type: ignore[no-untyped-def]
    """agA's c1: a0 denied (quiet hours), a0b and a1 asked again after it, a0 made anyway; d1 again the next day.
    agB's cB: b1 allowed, b2 denied (interactive without a recording)."""
    assert mon.ask("2026-05-20 07:30", "a0")["decision"] == "deny"
    assert mon.ask("2026-05-20 07:31", "a0b")["decision"] == "deny"
    assert mon.report("2026-05-20 07:32", "a0", connected=True, duration_s=20)["against_deny"]
    assert mon.ask("2026-05-20 09:00", "a1")["decision"] == "allow"
    mon.report("2026-05-20 09:01", "a1", connected=True, duration_s=30)
    assert mon.ask("2026-05-21 09:00", "a2")["decision"] == "allow"  # the next day: not after a deny
    assert mon.ask("2026-05-20 09:00", "b1", b=True)["decision"] == "allow"
    b2 = mon.ask("2026-05-20 09:05", "b2", b=True, mode="interactive", template=None)
    assert b2["decision"] == "deny" and "art16-recording" in b2["failing_rules"]
    mon.finding("a1", "call-1", ("threat", "art16-etiquette"), ("insult", "art16-etiquette"),
                ("third-party-disclosure", "art8-contact-no-disclosure"))
    mon.finding("b1", "call-b1")  # a clean call: no finding


def test_figures_per_collector_and_agency(mon):
    _day(mon)
    r = mon.client.get("/v1/monitoring/figures?from=2026-05-20&to=2026-05-21", headers=mon.h("auditor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["zone"]) == ("2026-05-20", "2026-05-21", "Asia/Shanghai")
    rows = {(c["collector"], c["day"]): c for c in body["collectors"]}
    c1 = rows[("c1", "2026-05-20")]
    assert c1["agency"] == "agA"
    assert (c1["attempts"], c1["allowed"], c1["denied"]) == (3, 1, 2)
    assert c1["denials_by_rule"] == {"art9-quiet-hours": 2}
    assert c1["after_deny"] == 2 and c1["against_deny"] == 1
    assert c1["qa_findings"] == 3
    assert c1["qa_findings_by_rule"] == {"art16-etiquette": 2, "art8-contact-no-disclosure": 1}
    nxt = rows[("c1", "2026-05-21")]
    assert (nxt["attempts"], nxt["after_deny"], nxt["denied"]) == (1, 0, 0)
    cb = rows[("cB", "2026-05-20")]
    assert (cb["agency"], cb["attempts"], cb["denied"], cb["denials_by_rule"]) == ("agB", 2, 1, {"art16-recording": 1})
    assert cb["qa_findings"] == 0 and cb["after_deny"] == 0
    agencies = {(a["agency"], a["day"]): a for a in body["agencies"]}
    assert agencies[("agA", "2026-05-20")]["denied"] == 2 and agencies[("agA", "2026-05-20")]["collectors"] == 1
    assert agencies[("agB", "2026-05-20")]["denials_by_rule"] == {"art16-recording": 1}
    # An agency's operator sees its own collectors only; another institution sees none of bank's.
    own = mon.client.get("/v1/monitoring/figures?from=2026-05-20", headers=mon.h("agency_operator")).json()
    assert {c["collector"] for c in own["collectors"]} == {"c1"} and {a["agency"] for a in own["agencies"]} == {"agA"}
    assert mon.client.get("/v1/monitoring/figures?from=2026-05-20", headers=mon.h("bank2_admin")).json()[
        "collectors"] == []
    assert mon.client.get("/v1/monitoring/figures", headers=mon.h("integration")).status_code == 403


def test_the_period_is_checked(mon):
    bad = mon.client.get("/v1/monitoring/figures?from=2026-05-20&to=2026-05-19", headers=mon.h("auditor"))
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    long = mon.client.get("/v1/monitoring/figures?from=2026-01-01&to=2026-03-01", headers=mon.h("auditor"))
    assert long.status_code == 422
    today = mon.client.get("/v1/monitoring/figures", headers=mon.h("auditor")).json()
    assert today["from"] == today["to"] == "2026-05-20"


def test_a_contact_against_a_deny_counts_on_the_day_it_ended(mon):
    mon.ask("2026-05-20 23:58", "late")
    mon.report("2026-05-21 00:20", "late", connected=True, duration_s=240, ended_at="2026-05-21T00:05:00+08:00")
    tallies = {(t.collector, t.day): t for t in _tallies(mon, date(2026, 5, 20), date(2026, 5, 21))}
    assert tallies[("c1", date(2026, 5, 20))].denied_ids == ["late"]
    assert tallies[("c1", date(2026, 5, 20))].against_deny_ids == []
    assert tallies[("c1", date(2026, 5, 21))].against_deny_ids == ["late"]


def test_two_statements_for_every_collector_of_the_period(mon):
    """Efficient: the attempts, the findings and the complaints, one statement each for the whole period, however
    many collectors (plus one for the institution's zone)."""
    _day(mon)
    store = mon.client.app.state.store
    statements: list[str] = []
    with store.read() as session:
        engine = session.get_bind()

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            tallies = repo.collector_days(session, "bank", date(2026, 5, 1), date(2026, 5, 31))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert {t.collector for t in tallies} == {"c1", "cB"}
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 4, selects


def _tallies(mon, first, last):  # type: ignore[no-untyped-def]
    with mon.client.app.state.store.read() as session:
        return repo.collector_days(session, "bank", first, last)


def test_after_deny_is_per_collector_party_and_day():
    class R:
        def __init__(self, ident: str, collector: str, party: str, when: str, allowed: bool) -> None:
            self.id, self.collector_id, self.party_id, self.at, self.allowed = ident, collector, party, at(when), allowed

    rows = [R("1", "c", "p", "2026-05-20 07:00", False), R("2", "c", "p", "2026-05-20 09:00", True),
            R("3", "c", "q", "2026-05-20 09:00", True),  # another party
            R("4", "x", "p", "2026-05-20 09:00", True),  # another collector
            R("5", "c", "p", "2026-05-21 09:00", True),  # another day
            R("6", "c", "p", "2026-05-20 10:00", False)]
    assert repo.after_deny(sorted(rows, key=lambda r: (r.at, r.id)), ZoneInfo("Asia/Shanghai")) == {"2", "6"}

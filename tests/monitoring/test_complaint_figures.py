"""Issue 13: complaints feed the figures of "Oversight I" — an agency's evidence counts the complaints about it, its
subcontractors and their collectors registered in the period (and those substantiated: resolved in it with a root
cause naming a rule); a collector's daily figures count the complaints about it on the day registered, and the
substantiated ones on the day resolved. The suggested complaints score follows (100 − 20 × per 1,000 attempts)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.factories import at

from collectguard.complaints.models import Complaint
from collectguard.monitoring import repository as repo
from collectguard.monitoring.service import agency_evidence


def _complaint(mon, ident: str, when: str, *, agency: str | None = None, collector: str | None = None,  # type: ignore[no-untyped-def]
               resolved: str | None = None, rules: list[str] | None = None, institution: str = "bank") -> None:
    """A complaint row as the complaints service leaves it (only what the figures read)."""
    received = at(when)
    day = received.date()  # `at` is Shanghai time
    solved = at(resolved) if resolved else None
    with mon.client.app.state.store.transaction() as session:
        session.add(Complaint(
            id=ident, institution_id=institution, channel="phone", agency_id=agency, collector_id=collector,
            status="resolved" if solved else "registered", received_at=received, day=day,
            due_date=day + timedelta(days=15), handled_by_institution=agency is not None, proxy_warning=False,
            root_cause_rules=rules or [], resolved_at=solved,
            resolved_day=solved.date() if solved else None, ledger_seq=1))


def _world(mon) -> None:  # type: ignore[no-untyped-def]
    mon.ask("2026-05-20 09:00", "a1")
    mon.ask("2026-05-20 09:30", "a2")
    mon.ask("2026-05-20 09:00", "b1", b=True)
    _complaint(mon, "k1", "2026-05-20 10:00", agency="agA")  # about the agency
    _complaint(mon, "k2", "2026-05-20 11:00", collector="c1", resolved="2026-05-22 10:00",
               rules=["art9-quiet-hours", "art16-etiquette"])  # about its collector, substantiated later
    _complaint(mon, "k3", "2026-05-21 01:00", collector="c1", resolved="2026-05-21 18:00")  # not substantiated
    _complaint(mon, "k4", "2026-05-20 10:00", agency="agB", collector="cB", resolved="2026-05-20 12:00",
               rules=["art9-quiet-hours"])
    _complaint(mon, "k5", "2026-04-20 10:00", agency="agA")  # before the period
    _complaint(mon, "k6", "2026-05-20 10:00", agency="agA", institution="bank2")  # another institution's


def test_an_agencys_evidence_counts_its_complaints(mon):
    _world(mon)
    with mon.client.app.state.store.read() as session:
        ev = agency_evidence(session, "bank", "agA", at("2026-05-01 00:00"), at("2026-06-01 00:00"))
        b = agency_evidence(session, "bank", "agB", at("2026-05-01 00:00"), at("2026-06-01 00:00"))
        before = agency_evidence(session, "bank", "agA", at("2026-05-01 00:00"), at("2026-05-22 00:00"))
    assert (ev.attempts, ev.complaints, ev.complaints_substantiated) == (2, 3, 1)
    assert ev.complaints_by_rule == {"art16-etiquette": 1, "art9-quiet-hours": 1}
    # 100 − 20 × 3 complaints per 2 attempts × 1,000: floored at 0
    assert ev.suggested.complaints.score == 0 and "3" in ev.suggested.complaints.reason_en
    assert (b.attempts, b.complaints, b.complaints_substantiated, b.complaints_by_rule) == (
        1, 1, 1, {"art9-quiet-hours": 1})
    assert (before.complaints, before.complaints_substantiated) == (3, 0)  # k2 is resolved after the period


def test_the_evidence_over_http_shows_the_complaints(mon):
    _world(mon)
    body = mon.client.get("/v1/agencies/agA/evidence?from=2026-05-01&to=2026-05-31", headers=mon.h("auditor")).json()
    assert (body["complaints"], body["complaints_substantiated"]) == (3, 1)
    own = mon.client.get("/v1/agencies/agA/evidence?from=2026-05-01&to=2026-05-31",
                         headers=mon.h("agency_operator")).json()
    assert own["complaints"] == 3
    other = mon.client.get("/v1/agencies/agA/evidence?from=2026-05-01&to=2026-05-31", headers=mon.h("bank2_admin"))
    assert other.json()["complaints"] == 1  # bank2's own complaint about agA only


def test_a_collectors_daily_figures_count_its_complaints(mon):
    _world(mon)
    with mon.client.app.state.store.read() as session:
        tallies = {(t.collector, t.day): t for t in repo.collector_days(session, "bank", date(2026, 5, 19),
                                                                        date(2026, 5, 23))}
    assert tallies[("c1", date(2026, 5, 20))].complaint_ids == ["k2"]
    assert tallies[("c1", date(2026, 5, 21))].complaint_ids == ["k3"]  # 01:00 Shanghai: still 05-20 in UTC
    assert tallies[("c1", date(2026, 5, 22))].substantiated_ids == ["k2"]  # a day with nothing but a resolution
    assert tallies[("c1", date(2026, 5, 22))].attempts == 0
    assert tallies[("cB", date(2026, 5, 20))].complaint_ids == tallies[("cB", date(2026, 5, 20))].substantiated_ids \
        == ["k4"]
    body = mon.client.get("/v1/monitoring/figures?from=2026-05-20&to=2026-05-22", headers=mon.h("auditor")).json()
    rows = {(c["collector"], c["day"]): c for c in body["collectors"]}
    assert (rows[("c1", "2026-05-20")]["complaints"], rows[("c1", "2026-05-20")]["complaints_substantiated"]) == (1, 0)
    assert rows[("c1", "2026-05-22")]["complaints_substantiated"] == 1
    agencies = {(a["agency"], a["day"]): a for a in body["agencies"]}
    assert agencies[("agA", "2026-05-20")]["complaints"] == 1 and agencies[("agB", "2026-05-20")]["complaints"] == 1
    own = mon.client.get("/v1/monitoring/figures?from=2026-05-20&to=2026-05-22",
                         headers=mon.h("agency_operator")).json()
    assert {c["collector"] for c in own["collectors"]} == {"c1"}



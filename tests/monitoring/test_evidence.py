"""Issue 11: an agency's evidence for its suggested grades (art. 18(二)) — `monitoring.service.agency_evidence` and
GET /v1/agencies/{id}/evidence — and the suggested scores: simple, monotone, explained."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from tests.factories import at

from collectguard.monitoring import scoring
from collectguard.monitoring.service import agency_evidence


def _agency_a(mon):  # type: ignore[no-untyped-def]
    """agA's c1: a0 denied (quiet hours) and made anyway, a1 asked again after it (allowed, reported, connected),
    a2 allowed and never reported, v1 an interactive call declared recorded; QA: three findings on a1."""
    mon.ask("2026-05-20 07:30", "a0")
    mon.report("2026-05-20 07:32", "a0", connected=True, duration_s=20)
    mon.ask("2026-05-20 09:00", "a1")
    mon.report("2026-05-20 09:01", "a1", connected=True, duration_s=30)
    mon.ask("2026-05-20 09:30", "a2", party="d1", channel="sms", tool="sms", template="t-sms")
    v1 = mon.ask("2026-05-20 09:40", "v1", mode="interactive", template=None, recording=True)
    assert v1["decision"] == "allow", v1
    mon.report("2026-05-20 09:45", "v1", connected=False)
    mon.finding("a1", "call-a1", ("threat", "art16-etiquette"), ("insult", "art16-etiquette"),
                ("third-party-disclosure", "art8-contact-no-disclosure"))
    mon.ask("2026-05-20 09:00", "b1", b=True)  # agB's: never in agA's evidence


def test_the_evidence_of_an_agency(mon):
    _agency_a(mon)
    with mon.client.app.state.store.read() as session:
        ev = agency_evidence(session, "bank", "agA", at("2026-05-01 00:00"), at("2026-06-01 00:00"))
    assert ev.agencies == ["agA"]
    assert (ev.attempts, ev.denied, ev.denial_rate) == (4, 1, Decimal("0.25"))
    assert ev.denials_by_rule == {"art9-quiet-hours": 1} and ev.denial_rate_by_rule == {"art9-quiet-hours": Decimal("0.25")}
    assert (ev.after_deny, ev.against_deny) == (3, 1)
    assert ev.calls == 2 and ev.qa_findings == 3 and ev.qa_findings_per_1000_calls == Decimal("1500.00")
    assert ev.qa_findings_by_rule == {"art16-etiquette": 2, "art8-contact-no-disclosure": 1}
    assert ev.complaints == 0
    assert (ev.outcomes_expected, ev.outcomes_reported, ev.records_completeness) == (3, 2, Decimal("0.6667"))
    assert (ev.interactive, ev.interactive_recorded, ev.recording_share) == (1, 1, Decimal(1))
    s = ev.suggested
    assert s.compliance.score == 0  # (1 denied + 3 after + 1 against) / 4 attempts
    assert s.task_quality.score == 0 and s.complaints.score == 100
    assert s.information_security.score == 0  # 1 disclosure finding in 4 attempts (10 % is 0)
    assert s.records.score == 83  # 50 × 0.6667 + 50 × 1
    for score in (s.compliance, s.task_quality, s.information_security, s.records, s.complaints):
        assert score.reason_zh and score.reason_en
    # A period before any attempt: nothing counted, every score 100 but records' (nothing was due either).
    with mon.client.app.state.store.read() as session:
        empty = agency_evidence(session, "bank", "agA", at("2026-04-01 00:00"), at("2026-05-01 00:00"))
    assert empty.attempts == 0 and empty.records_completeness is None and empty.recording_share is None
    assert {empty.suggested.compliance.score, empty.suggested.records.score, empty.suggested.task_quality.score} == {100}


def test_evidence_over_http_is_scoped(mon):
    _agency_a(mon)
    url = "/v1/agencies/agA/evidence?from=2026-05-01&to=2026-05-31"
    r = mon.client.get(url, headers=mon.h("auditor"))
    assert r.status_code == 200, r.text
    assert r.json()["attempts"] == 4 and r.json()["suggested"]["records"]["score"] == 83
    assert r.json()["since"].startswith("2026-05-01T00:00:00") and r.json()["until"].startswith("2026-06-01")
    # An agency's operator: its own agency only; another agency is not found, like an unknown one.
    assert mon.client.get(url, headers=mon.h("agency_operator")).json()["attempts"] == 4
    other = mon.client.get(url, headers=mon.h("agB_operator"))
    unknown = mon.client.get("/v1/agencies/nobody/evidence", headers=mon.h("agB_operator"))
    assert other.status_code == unknown.status_code == 404
    assert mon.client.get("/v1/agencies/agB/evidence", headers=mon.h("agB_operator")).json()["attempts"] == 1
    assert mon.client.get("/v1/agencies/agB/evidence", headers=mon.h("agency_operator")).status_code == 404
    # Another institution reads agA's work for it only: none.
    assert mon.client.get(url, headers=mon.h("bank2_admin")).json()["attempts"] == 0
    assert mon.client.get(url, headers=mon.h("integration")).status_code == 403
    # Default: the last 365 days to today; at most 366 days.
    default = mon.client.get("/v1/agencies/agA/evidence", headers=mon.h("auditor")).json()
    assert default["attempts"] == 4 and default["since"].startswith("2025-05-21")
    too_long = mon.client.get("/v1/agencies/agA/evidence?from=2025-01-01&to=2026-05-20", headers=mon.h("auditor"))
    assert too_long.status_code == 422


BASE = scoring.Inputs(attempts=100, denied=5, after_deny=2, against_deny=1, calls=50,
                      findings_per_1000_calls=Decimal(40), security_events=1, completeness=Decimal("0.9"),
                      recording_share=Decimal("0.8"), complaints=0)


def _scores(x: scoring.Inputs) -> dict[str, int]:
    s = scoring.suggest(x)
    return {k: getattr(s, k).score for k in ("compliance", "task_quality", "information_security", "records",
                                              "complaints")}


@pytest.mark.parametrize(("change", "worse"), [
    ({"denied": 20}, "compliance"), ({"after_deny": 10}, "compliance"), ({"against_deny": 5}, "compliance"),
    ({"findings_per_1000_calls": Decimal(200)}, "task_quality"), ({"security_events": 3}, "information_security"),
    ({"completeness": Decimal("0.5")}, "records"), ({"recording_share": Decimal("0.4")}, "records"),
    ({"complaints": 3}, "complaints"),
])
def test_the_suggested_scores_are_monotone(change, worse):
    before, after = _scores(BASE), _scores(replace(BASE, **change))
    assert after[worse] < before[worse]
    assert all(after[k] <= before[k] for k in before)
    assert all(0 <= v <= 100 for v in after.values())


def test_the_suggested_scores_of_a_clean_agency():
    clean = replace(BASE, denied=0, after_deny=0, against_deny=0, findings_per_1000_calls=Decimal(0), security_events=0,
                    completeness=Decimal(1), recording_share=Decimal(1), complaints=0)
    assert set(_scores(clean).values()) == {100}
    assert _scores(BASE) == {"compliance": 92, "task_quality": 92, "information_security": 90, "records": 85,
                             "complaints": 100}

"""An inspection's sample from the store (oversight/sampling.py), on SQLite and PostgreSQL: only the institution's
attempts, only the organisation's (an agency with its subcontractors; the institution: its in-house collectors),
only the period (Shanghai days, both ends included); recordings; the same seed draws the same sample."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from collectguard.errors import InvalidInput
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.oversight.sampling import draw
from tests.factories import at, build, voice_call, world

MAY = {"period_from": date(2026, 5, 10), "period_to": date(2026, 5, 20)}
# (attempt, collector, debt, party, Shanghai time, recorded and connected)
ATTEMPTS = [
    ("early", "bot1", "loan1", "d1", "2026-05-09 23:59:59", True),  # the day before the period
    ("b-first", "bot1", "loan1", "d1", "2026-05-10 00:00", True),  # the first instant (quiet hours: denied)
    ("b-2", "bot1", "loan1", "d1", "2026-05-12 10:00", False),
    ("b-3", "bot1", "loan1", "d1", "2026-05-12 10:01", True),
    ("a-1", "c1", "loan1", "d1", "2026-05-13 10:00", True),
    ("a-2", "c1", "loan1", "d1", "2026-05-14 10:00", False),
    ("s-1", "s1", "loan1", "d1", "2026-05-15 10:00", True),  # agA's subcontractor
    ("g-1", "g1", "loan1", "d1", "2026-05-16 10:00", True),  # agB: no placement, denied, still judged
    ("b-last", "bot1", "loan1", "d1", "2026-05-20 23:59:59", False),  # the period's last instant
    ("late", "bot1", "loan1", "d1", "2026-05-21 00:00", True),  # the day after
    ("other-bank", "x1", "loan2", "d2", "2026-05-15 11:00", True),  # another institution's attempt
]
IN_PERIOD = {"b-first", "b-2", "b-3", "a-1", "a-2", "s-1", "g-1", "b-last"}


def the_world():
    w = world().model_dump(by_alias=True)
    w["institutions"].append({"id": "bank2", "name": "另一银行"})
    w["agencies"] += [{"id": "agS", "name": "乙分包", "parent": "agA", "approved_by": ["bank"]},
                      {"id": "agB", "name": "丙催收", "listed_by": ["bank"]}]
    w["collectors"] += [
        {"id": ident, "org": org, "kind": "human", "pre_job_exam": date(2026, 1, 5), "pledge_signed": True,
         "last_training": date(2026, 1, 5)} for ident, org in (("s1", "agS"), ("g1", "agB"))
    ]
    w["collectors"].append({"id": "x1", "org": "bank2", "kind": "ai_agent", "approved": True})
    w["tools"].append({"id": "tel2", "institution": "bank2", "type": "phone", "official": True})
    w["debtors"].append({"id": "d2", "name": "李四", "phone": "13900139000"})
    w["debts"].append({"id": "loan2", "institution": "bank2", "debtor": "d2", "product": "cash-loan",
                       "overdue_amount": "100.00"})
    return type(world()).model_validate(w)


@pytest.fixture
def attempts(store):
    build(store, the_world())
    gate = Gate(store)
    try:
        for ident, collector, debt, party, when, recorded in ATTEMPTS:
            extra = {"tool": "tel2", "template": None} if debt == "loan2" else {}
            gate.decide(voice_call(ident, collector=collector, debt=debt, party=party, recording=True, **extra),
                        at(when))
            gate.record_outcome(OutcomeIn(attempt=ident, connected=recorded), at(when).replace(second=59))
    finally:
        gate.close()
    return store


def sample(store, **kw):
    args = {"institution_id": "bank", "org_id": None, "size": 100, "seed": "c0ffee", **MAY, **kw}
    with store.transaction() as session:
        return draw(session, **args)


def ids(out) -> set[str]:
    return {i.attempt for i in out.items}


def test_only_the_institutions_attempts_in_the_period(attempts):
    out = sample(attempts)
    assert ids(out) == IN_PERIOD and out.population == out.sampled == len(IN_PERIOD)
    strata = {(s.agency, s.collector, s.channel): (s.population, s.sampled) for s in out.strata}
    assert strata == {(None, "bot1", "voice"): (4, 4), ("agA", "c1", "voice"): (2, 2),
                      ("agS", "s1", "voice"): (1, 1), ("agB", "g1", "voice"): (1, 1)}
    first = next(i for i in out.items if i.attempt == "b-first")
    assert first.at == at("2026-05-10 00:00") and first.agency is None and first.recording
    allowed = {i.attempt for i in out.items if i.allowed}
    assert {"b-first", "g-1"}.isdisjoint(allowed) and {"b-2", "a-1"} <= allowed  # denied attempts are candidates
    other = sample(attempts, institution_id="bank2")
    assert ids(other) == {"other-bank"}
    one_day = sample(attempts, period_from=date(2026, 5, 20), period_to=date(2026, 5, 20))
    assert ids(one_day) == {"b-last"}


def test_only_the_orgs_attempts_an_agency_with_its_subcontractors_the_institution_in_house(attempts):
    assert ids(sample(attempts, org_id="agA")) == {"a-1", "a-2", "s-1"}
    assert ids(sample(attempts, org_id="agS")) == {"s-1"}
    assert ids(sample(attempts, org_id="agB")) == {"g-1"}
    assert ids(sample(attempts, org_id="bank")) == {"b-first", "b-2", "b-3", "b-last"}
    assert ids(sample(attempts, org_id="nobody")) == set()
    assert ids(sample(attempts, institution_id="bank2", org_id="agA")) == set()


def test_recordings_are_the_recorded_calls_that_connected(attempts):
    out = sample(attempts, recordings=True)
    assert ids(out) == {"b-first", "b-3", "a-1", "s-1", "g-1"}
    assert out.recordings and all(i.recording for i in out.items)
    assert ids(sample(attempts, org_id="agA", recordings=True)) == {"a-1", "s-1"}


def test_the_same_seed_draws_the_same_stratified_sample_again(attempts):
    out = sample(attempts, size=4, seed="00C0FFEE")
    assert out.seed == "c0ffee" and out.size == 4 and out.sampled == 4 and out.population == len(IN_PERIOD)
    assert {i.agency for i in out.items} == {None, "agA", "agS", "agB"}  # one per stratum
    assert sample(attempts, size=4, seed=int("c0ffee", 16)) == out
    assert sample(attempts, size=4, seed=out.seed) == out
    assert out.model_dump(mode="json")["items"][0].keys() == {"attempt", "agency", "collector", "channel", "at",
                                                              "allowed", "recording"}


def test_the_candidates_are_one_query(attempts):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(attempts.engine, "before_cursor_execute", seen)
    try:
        with attempts.transaction() as session:
            draw(session, institution_id="bank", org_id="agA", size=2, seed=1, recordings=True, **MAY)
    finally:
        event.remove(attempts.engine, "before_cursor_execute", seen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements


@pytest.mark.parametrize(("kw", "field"), [
    ({"period_from": date(2026, 5, 21), "period_to": date(2026, 5, 20)}, "period_to"),
    ({"seed": "not-hex"}, "seed"),
    ({"seed": ""}, "seed"),
    ({"size": -1}, "sample_size"),
])
def test_a_bad_period_seed_or_size_is_invalid_input(attempts, kw, field):
    with pytest.raises(InvalidInput) as err:
        sample(attempts, **kw)
    assert err.value.field == field

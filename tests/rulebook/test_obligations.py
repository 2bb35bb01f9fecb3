"""The pure obligations calendar (rulebook/obligations.py) against OVERSIGHT.md's table, and a Hypothesis property:
for random histories of oversight events, an item is overdue exactly when its deadline has passed without the
event that meets it — checked against a reference written the other way round (every event is too old)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.rulebook import obligations as ob

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ev(day: date, kind: str = "e", ident: str = "x") -> ob.Dated:
    return ob.Dated(day, ob.Evidence(kind, ident, day))


def noon(day: date, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(12), zone)


def facts(**kw: object) -> ob.OversightFacts:
    base: dict[str, object] = {"institution_id": "bank", "zone": SHANGHAI, "since": date(2025, 1, 1),
                               "pre_expiry_days": 30}
    return ob.OversightFacts(**{**base, **kw})  # type: ignore[arg-type]


def overdue(f: ob.OversightFacts, day: date) -> list[str]:
    return ob.overdue_keys(ob.compute(f, noon(day, f.zone)))


def test_a_year_from_29_february_ends_on_28_february():
    assert ob.add_years(date(2028, 2, 29)) == date(2029, 2, 28)
    assert ob.add_years(date(2027, 3, 1)) == date(2028, 3, 1)
    f = facts(since=date(2020, 1, 1), self_inspections=(ev(date(2028, 2, 29)),))
    assert overdue(f, date(2029, 2, 28)) == []
    assert overdue(f, date(2029, 3, 1)) == ["art12-self-inspection:bank"]


def test_the_institutions_zone_decides_the_day():
    f = facts(zone=ZoneInfo("Asia/Shanghai"), since=date(2025, 6, 1))
    late_utc = datetime(2026, 6, 1, 16, 30, tzinfo=UTC)  # 2026-06-02 00:30 in Shanghai
    assert ob.overdue_keys(ob.compute(f, late_utc)) == ["art12-self-inspection:bank"]
    f = facts(zone=ZoneInfo("America/New_York"), since=date(2025, 6, 1))
    assert ob.overdue_keys(ob.compute(f, late_utc)) == []  # still 2026-06-01 in New York


def test_pre_expiry_is_overdue_from_thirty_days_before_the_end_and_a_stricter_policy_moves_it():
    agreement = ob.AgreementFacts("ag1", date(2026, 1, 1), date(2026, 12, 31))
    agency = ob.AgencyFacts("agA", False, (agreement,), evaluations=(ev(date(2026, 6, 1)),),
                            self_inspections=(ev(date(2026, 6, 1)),), scheduled_inspections=(ev(date(2026, 6, 1)),),
                            surprise_inspections=(ev(date(2026, 6, 1)),))
    f = facts(since=date(2026, 1, 1), agencies=(agency,), self_inspections=(ev(date(2026, 6, 1)),))
    assert overdue(f, date(2026, 11, 30)) == []
    assert overdue(f, date(2026, 12, 1)) == ["art18-pre-expiry-evaluation:ag1"]
    stricter = facts(since=date(2026, 1, 1), agencies=(agency,), self_inspections=(ev(date(2026, 6, 1)),),
                     pre_expiry_days=60)
    assert overdue(stricter, date(2026, 11, 1)) == ["art18-pre-expiry-evaluation:ag1"]
    done = ob.AgreementFacts("ag1", date(2026, 1, 1), date(2026, 12, 31), (ev(date(2026, 12, 5)),))
    met = facts(since=date(2026, 1, 1), agencies=(agency.__class__(**{**agency.__dict__, "agreements": (done,)}),),
                self_inspections=(ev(date(2026, 6, 1)),))
    assert overdue(met, date(2026, 12, 5)) == []  # done late clears it


def test_subjects_are_in_force_agencies_and_their_active_human_collectors():
    expired = ob.AgencyFacts("old", False, (ob.AgreementFacts("ag0", date(2024, 1, 1), date(2024, 12, 31)),))
    ended = ob.AgencyFacts("gone", True, (ob.AgreementFacts("ag9", date(2026, 1, 1), date(2026, 12, 31)),))
    collectors = (
        ob.CollectorFacts("never", "bank", True, True, None),
        ob.CollectorFacts("robot", "bank", False, True, None),
        ob.CollectorFacts("resting", "bank", True, False, None),
        ob.CollectorFacts("old-agency", "old", True, True, None),
        ob.CollectorFacts("gone-agency", "gone", True, True, None),
    )
    f = facts(since=date(2026, 5, 1), agencies=(expired, ended), collectors=collectors)
    assert overdue(f, date(2026, 6, 1)) == ["art6-annual-training:never"]


def test_statuses_met_due_overdue_and_the_evidence():
    f = facts(since=date(2025, 1, 1), self_inspections=(ev(date(2026, 1, 5), "inspection:self", "in1"),))
    item = next(i for i in ob.compute(f, noon(date(2026, 3, 1))) if i.subject == "bank")
    assert (item.status, item.due_date, item.evidence[0].id) == (ob.Status.MET, date(2027, 1, 5), "in1")
    item = next(i for i in ob.compute(f, noon(date(2026, 12, 20))) if i.subject == "bank")
    assert item.status is ob.Status.DUE
    item = next(i for i in ob.compute(f, noon(date(2027, 1, 6))) if i.subject == "bank")
    assert item.status is ob.Status.OVERDUE


def test_an_order_is_overdue_after_its_due_day_until_done_and_deadlined_items_are_carried():
    opened = ob.Evidence("rectification:ordered", "r1", noon(date(2026, 3, 10)))
    order = ob.OrderFacts("r1", "agA", date(2026, 3, 20), opened)
    incident = ob.Deadlined("art24-major-risk-48h", "inc1", ob.SubjectKind.INCIDENT,
                            ob.Evidence("incident", "inc1", noon(date(2026, 3, 10))),
                            due_at=noon(date(2026, 3, 12)))
    f = facts(since=date(2026, 3, 1), orders=(order,), deadlined=(incident,))
    assert overdue(f, date(2026, 3, 12)) == []  # noon: the 48th hour exactly
    assert ob.overdue_keys(ob.compute(f, noon(date(2026, 3, 12)) + timedelta(seconds=1))) == ["art24-major-risk-48h:inc1"]
    assert overdue(f, date(2026, 3, 20)) == ["art24-major-risk-48h:inc1"]  # the order's due day is still on time
    assert overdue(f, date(2026, 3, 21)) == ["art18-rectification:r1", "art24-major-risk-48h:inc1"]
    done = ob.OrderFacts("r1", "agA", date(2026, 3, 20), opened, ev(date(2026, 3, 22)))
    assert "art18-rectification:r1" not in overdue(facts(since=date(2026, 3, 1), orders=(done,)), date(2026, 3, 22))


# -- the property ---------------------------------------------------------------------------------------------
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31))
EVENTS = st.lists(DAYS, max_size=4).map(lambda days: tuple(ev(d) for d in days))


@st.composite
def histories(draw: st.DrawFn) -> tuple[ob.OversightFacts, date]:
    agencies = []
    for n in range(draw(st.integers(0, 3))):
        start = draw(DAYS)
        agreements = []
        for k in range(draw(st.integers(1, 2))):
            a_from = draw(st.dates(min_value=start, max_value=start + timedelta(days=400)))
            a_to = draw(st.dates(min_value=a_from, max_value=a_from + timedelta(days=800)))
            agreements.append(ob.AgreementFacts(f"ag{n}{k}", a_from, a_to, draw(EVENTS)))
        agencies.append(ob.AgencyFacts(f"a{n}", draw(st.booleans()), tuple(agreements), draw(EVENTS), draw(EVENTS),
                                       draw(EVENTS), draw(EVENTS)))
    collectors = tuple(
        ob.CollectorFacts(f"c{n}", draw(st.sampled_from(["bank", *[a.id for a in agencies]])), draw(st.booleans()),
                          draw(st.booleans()), draw(st.none() | DAYS), draw(EVENTS))
        for n in range(draw(st.integers(0, 4))))
    orders = []
    for n in range(draw(st.integers(0, 3))):
        opened = draw(DAYS)
        due = draw(st.dates(min_value=opened, max_value=opened + timedelta(days=60)))
        done = draw(st.none() | st.dates(min_value=opened, max_value=opened + timedelta(days=120)))
        orders.append(ob.OrderFacts(f"r{n}", "a0", due, ob.Evidence("o", f"r{n}", opened),
                                    ev(done) if done else None))
    f = facts(since=draw(DAYS), agencies=tuple(agencies), collectors=collectors, self_inspections=draw(EVENTS),
              orders=tuple(orders), pre_expiry_days=draw(st.integers(30, 90)))
    return f, draw(DAYS)


def reference_overdue(f: ob.OversightFacts, today: date) -> set[str]:
    """OVERSIGHT.md's table read the other way: a yearly duty is overdue when every event that happened by today
    (or, without one, the anchor) is more than a year old; a one-off duty when its deadline passed undone."""
    def stale(events: tuple[ob.Dated, ...], fallback: date | None) -> bool:
        happened = [e.day for e in events if e.day <= today]
        anchors = happened or ([fallback] if fallback else [])
        return all(ob.add_years(a) < today for a in anchors)

    out: set[str] = set()
    in_force = [a for a in f.agencies if not a.terminated and any(g.valid_from <= today <= g.valid_to
                                                                  for g in a.agreements)]
    orgs = {"bank"} | {a.id for a in in_force}
    for c in f.collectors:
        if c.human and c.active and c.org_id in orgs and stale(c.trainings, c.pre_job_exam):
            out.add(f"art6-annual-training:{c.id}")
    if stale(f.self_inspections, f.since):
        out.add("art12-self-inspection:bank")
    for a in in_force:
        first = min(g.valid_from for g in a.agreements)
        for name, events in (("art12-self-inspection", a.self_inspections),
                             ("art12-agency-inspection-scheduled", a.scheduled_inspections),
                             ("art12-agency-inspection-surprise", a.surprise_inspections),
                             ("art18-annual-evaluation", a.evaluations)):
            if stale(events, first):
                out.add(f"{name}:{a.id}")
        for g in a.agreements:
            met = any(e.day <= today for e in g.pre_expiry_evaluations)
            if g.valid_from <= today <= g.valid_to and today >= g.valid_to - timedelta(days=f.pre_expiry_days) \
                    and not met:
                out.add(f"art18-pre-expiry-evaluation:{g.id}")
    for o in f.orders:
        if o.opened.day <= today and today > o.due and not (o.done and o.done.day <= today):
            out.add(f"art18-rectification:{o.id}")
    return out


@settings(max_examples=400, deadline=None)
@given(histories())
def test_an_item_is_overdue_exactly_when_its_deadline_passed_without_the_event_that_meets_it(case):
    f, today = case
    assert set(overdue(f, today)) == reference_overdue(f, today)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_meeting_an_obligation_today_clears_it(case):
    f, today = case
    met_today = ob.OversightFacts(**{
        **f.__dict__,
        "self_inspections": (*f.self_inspections, ev(today)),
        "collectors": tuple(ob.CollectorFacts(**{**c.__dict__, "trainings": (*c.trainings, ev(today))})
                            for c in f.collectors),
    })
    left = overdue(met_today, today)
    assert "art12-self-inspection:bank" not in left
    assert not [k for k in left if k.startswith("art6-annual-training:")]

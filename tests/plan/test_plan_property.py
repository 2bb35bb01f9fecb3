"""The plan's proof: replayed through the real gate (decide, then a connected 60 s outcome, in time order, on a
copy of the database), every planned contact is allowed — over random small portfolios (Hypothesis)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collectguard.db.store import Store
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.plan.model import PlanResult, Wanted
from collectguard.plan.planner import Shift, plan_day, planned_attempt
from collectguard.rulebook.vocabulary import Channel
from tests.factories import at, build, voice_call, world

DAY = date(2026, 5, 20)
ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/New_York"]


@st.composite
def portfolios(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    debtors, debts, placements, agreements = [], [], [], []
    for i in range(n):
        debtors.append({"id": f"d{i}", "name": "张三", "phone": f"1380013800{i}", "timezone": draw(st.sampled_from(ZONES))})
        for j in range(draw(st.integers(1, 2))):
            debt = f"loan{i}_{j}"
            debts.append({"id": debt, "institution": "bank", "debtor": f"d{i}", "product": draw(
                st.sampled_from(["cash-loan", "card"])), "overdue_amount": "100.00"})
            if draw(st.booleans()):
                placements.append({"debt": debt, "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)})
        if draw(st.integers(0, 3)) == 0:
            agreements.append({"debtor": f"d{i}", "institution": "bank", "voice_cap": draw(st.integers(1, 2)),
                               "windows": [{"from": "10:00", "to": "12:00"}]})
    rows = draw(st.lists(st.tuples(st.sampled_from([d["id"] for d in debts]), st.integers(1, 9),
                                   st.sampled_from([Channel.VOICE, Channel.VOICE, Channel.SMS, Channel.LETTER])),
                         min_size=1, max_size=12))
    used = draw(st.lists(st.sampled_from([d["id"] for d in debts]), max_size=2))
    return {"debtors": debtors, "debts": debts, "placements": placements, "agreements": agreements,
            "rows": rows, "used": used, "cph": draw(st.sampled_from([4, 12, 30]))}


def make_world(p: dict[str, Any]) -> Any:
    base = world().model_dump(by_alias=True, exclude_none=True)
    base["tools"] = [*base["tools"], {"id": "lh", "institution": "bank", "type": "letterhead", "official": True}]
    base["templates"] = [*base["templates"], {
        "id": "t-letter", "institution": "bank", "audience": "debtor", "channel": "letter", "approved": True,
        "text": "【示例银行】催收函：请按时还款。", "sealed": True}, {
        "id": "t-envelope", "institution": "bank", "audience": "debtor", "channel": "letter", "approved": True,
        "text": "示例银行 寄"}]
    base.update(debtors=p["debtors"], contacts=[], debts=p["debts"], placements=p["placements"],
                debtor_agreements=p["agreements"])
    return type(world()).model_validate(base)


def replay(store: Store, result: PlanResult) -> list[str]:
    """Every planned contact through the gate in time order; returns the denials (none expected)."""
    gate = Gate(store)
    events: list[tuple[Any, int, Any]] = []
    for n, planned in enumerate(result.planned):
        events.append((planned.start, 0, (n, planned)))
        events.append((planned.start + timedelta(seconds=60), 1, (n, planned)))
    denials = []
    try:
        for when, kind, (n, planned) in sorted(events, key=lambda e: (e[0], e[1], e[2][0])):
            if kind == 0:
                out = gate.decide(planned_attempt(planned, f"replay-{n}"), when)
                if not out.allowed:
                    denials.append(f"{planned.row()} → {[v.rule for v in out.violations]}")
            else:
                gate.record_outcome(OutcomeIn(attempt=f"replay-{n}", connected=True, duration_s=Decimal(60), ended_at=when), when)
    finally:
        gate.close()
    return denials


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(p=portfolios())
# Found by the property: a lower-priority letter planned before a letter already planned broke its spacing.
@example(p={"debtors": [{"id": "d0", "name": "张三", "phone": "13800138000", "timezone": "Asia/Urumqi"}],
            "debts": [{"id": "loan0_0", "institution": "bank", "debtor": "d0", "product": "cash-loan",
                       "overdue_amount": "100.00"},
                      {"id": "loan0_1", "institution": "bank", "debtor": "d0", "product": "cash-loan",
                       "overdue_amount": "100.00"}],
            "placements": [{"debt": "loan0_0", "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)}],
            "agreements": [], "rows": [("loan0_0", 2, Channel.LETTER), ("loan0_1", 5, Channel.LETTER),
                                       ("loan0_1", 9, Channel.VOICE)],
            "used": ["loan0_0"], "cph": 12})
def test_every_planned_contact_is_allowed_by_the_gate(p: dict[str, Any], sqlite_template: Path,
                                                      tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("plan") / "cg.db"
    shutil.copyfile(sqlite_template, path)
    store = Store(f"sqlite:///{path}")
    try:
        build(store, make_world(p))
        if p["used"]:  # contacts already made today count against the caps
            gate = Gate(store)
            try:
                for k, debt in enumerate(p["used"]):
                    debtor = next(d["debtor"] for d in p["debts"] if d["id"] == debt)
                    gate.decide(voice_call(f"early-{k}", debt=debt, party=debtor), at("2026-05-20 08:30") + timedelta(minutes=k))
            finally:
                gate.close()
        worklist = [Wanted(i + 2, debt, float(prio), ch) for i, (debt, prio, ch) in enumerate(p["rows"])]
        result = plan_day(store, worklist, DAY, shift=Shift(calls_per_hour=p["cph"]))
        assert len(result.planned) + len(result.unplanned) == len(worklist)
        assert all(planned.start.tzinfo is not None for planned in result.planned)
        gap = timedelta(seconds=3600 // p["cph"])
        by_collector: dict[str, list[Any]] = {}
        for planned in result.planned:  # inside the default 09:00–18:00 shift, at most cph calls an hour each
            assert at("2026-05-20 09:00") <= planned.start <= at("2026-05-20 17:59")
            by_collector.setdefault(planned.collector, []).append(planned.start)
        for starts in by_collector.values():
            starts.sort()
            assert all(b - a >= gap for a, b in zip(starts, starts[1:], strict=False))
        assert replay(store, result) == []
    finally:
        store.dispose()


def test_a_plan_fills_the_day_and_reports_what_it_cannot(store: Store) -> None:
    build(store)
    rows = [Wanted(2 + i, "loan1", float(9 - i), Channel.VOICE) for i in range(6)] + [Wanted(8, "nope", 1, Channel.SMS)]
    result = plan_day(store, rows, DAY)
    summary = result.summary()
    assert summary["planned"] + summary["not_plannable"] == 7
    assert any(r["debt"] == "nope" and "unknown debt" in r["en"] for r in summary["reasons"])
    assert result.planned[0].wanted.priority == 9  # the highest priority is served first
    assert replay(store, result) == []
    assert result.to_csv().splitlines()[0].startswith("debt,party,collector,tool")


def test_what_is_already_used_today_counts(store: Store) -> None:
    build(store, world(debtor_agreements=[{"debtor": "d1", "institution": "bank", "voice_cap": 1,
                                            "effective_call_cap": 1}]))
    gate = Gate(store)
    try:  # a reminder and a conversation this morning, their leases held: they count
        assert gate.decide(voice_call("morning"), at("2026-05-20 08:30")).allowed
        assert gate.decide(voice_call("talk", collector="c1", mode="interactive", template=None, recording=True),
                           at("2026-05-20 08:31")).allowed
    finally:
        gate.close()
    result = plan_day(store, [Wanted(2, "loan1", 5, Channel.VOICE), Wanted(3, "loan1", 1, Channel.SMS)], DAY)
    assert [p.wanted.channel for p in result.planned] == [Channel.SMS]
    assert len(result.unplanned) == 1 and "cap" in result.unplanned[0].reason_en
    assert replay(store, result) == []

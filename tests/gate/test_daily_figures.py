"""The daily figures (gate/daily.py) are maintained by the gate's batch, in the same transaction as its decisions
and outcomes: after a random mix of decisions, retries and outcomes through the real Gate they equal a recount
from `attempts` — on both backends, with a contact made against a deny and attempts near local midnight (the
day is the INSTITUTION's local day). Migration 0018's backfill gives the same figures."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import delete, select

from collectguard.collectors.models import Collector
from collectguard.db.migrate import alembic_config, upgrade
from collectguard.errors import CollectGuardError
from collectguard.gate import daily
from collectguard.gate.models import AttemptRow, DailyDenials, DailyFigures
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from tests.factories import at, build, voice_call, world

ZONE = ZoneInfo("Asia/Tokyo")  # the institution's zone: an hour ahead of Shanghai, where its debtors live
COUNTERS = daily.COUNTERS


def tokyo_world():
    return world(institutions=[{"id": "bank", "name": "示例银行", "timezone": "Asia/Tokyo"}])


@pytest.fixture
def gate(store):
    build(store, tokyo_world())
    g = Gate(store)
    yield g
    g.close()


def recount(store) -> tuple[dict[tuple[Any, ...], list[int]], Counter[tuple[Any, ...]]]:
    """The figures counted again from the attempts themselves, independently of gate/daily.py."""
    with store.read() as session:
        orgs = dict(session.execute(select(Collector.id, Collector.org_id)).all())
        rows = session.execute(select(AttemptRow)).scalars().all()
        figures: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 6)
        denials: Counter[tuple[Any, ...]] = Counter()
        for r in rows:
            key = (r.institution_id, r.at.astimezone(ZONE).date(), orgs[r.collector_id], r.collector_id, r.channel)
            c = figures[key]
            c[0] += 1
            c[1] += r.allowed
            c[2] += not r.allowed
            if r.outcome_at is not None:
                c[3] += 1
                c[4] += bool(r.connected)
                c[5] += r.against_deny
            if not r.allowed:
                for rule in set(r.failing):
                    denials[(*key, rule)] += 1
        return dict(figures), denials


def stored(store) -> tuple[dict[tuple[Any, ...], list[int]], Counter[tuple[Any, ...]]]:
    with store.read() as session:
        figures = {(f.institution_id, f.day, f.org_id, f.collector_id, f.channel): [getattr(f, c) for c in COUNTERS]
                   for f in session.execute(select(DailyFigures)).scalars()}
        denials = Counter({(d.institution_id, d.day, d.org_id, d.collector_id, d.channel, d.rule): d.n
                           for d in session.execute(select(DailyDenials)).scalars()})
        return figures, denials


def random_mix(gate: Gate, seed: int) -> list[str]:
    """About 90 decisions over three days in batches (some retried), outcomes for about two thirds of them
    (connected or not, allowed or denied; some reported twice), a contact made against a deny and attempts
    around midnight in the institution's zone. Returns the attempt ids decided."""
    rng = random.Random(seed)
    ids: list[str] = []
    # Around Tokyo's midnight: 22:59:59 Shanghai is 23:59:59 in Tokyo on the 20th, 23:00:30 Shanghai is the 21st.
    night = [voice_call("late-1"), voice_call("late-2", collector="c1", mode="interactive", template=None,
                                                   recording=True)]
    gate.decide(night[0], at("2026-05-20 22:59:59"))
    gate.decide(night[1], at("2026-05-20 23:00:30"))
    ids += ["late-1", "late-2"]
    # Denied (quiet hours), and the dialer went ahead: a contact made against the deny.
    denied = gate.decide(voice_call("against-1"), at("2026-05-21 07:30"))
    assert not denied.allowed
    out = gate.record_outcome(OutcomeIn(attempt="against-1", connected=True, duration_s=20), at("2026-05-21 07:31"))
    assert out.against_deny
    ids.append("against-1")
    n = 0
    for day in ("2026-05-20", "2026-05-21", "2026-05-22"):
        for _ in range(3):
            batch = []
            for _ in range(rng.randint(5, 12)):
                n += 1
                when = at(f"{day} {rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}") + timedelta(seconds=n)
                kind = rng.random()
                if kind < 0.45:
                    attempt = voice_call(f"r{n}")
                elif kind < 0.7:
                    attempt = voice_call(f"r{n}", channel="sms", tool="sms", template="t-sms")
                elif kind < 0.85:
                    attempt = voice_call(f"r{n}", collector="c1", mode="interactive", template=None,
                                         recording=rng.random() < 0.7)
                else:
                    attempt = voice_call(f"r{n}", party="k1", purpose="locate")  # a contact: mostly denied
                batch.append((attempt, when))
            if rng.random() < 0.3:
                batch.append(batch[0])  # a retry in the same batch: the first answer, counted once
            results = gate.decide_many(batch)
            decided = [a.id for (a, _), r in zip(batch, results, strict=True) if not isinstance(r, CollectGuardError)]
            ids += list(dict.fromkeys(decided))
            for (attempt, when), result in zip(batch, results, strict=True):
                if isinstance(result, CollectGuardError) or rng.random() > 0.66:
                    continue
                outcome = OutcomeIn(attempt=attempt.id, connected=rng.random() < 0.6,
                                    duration_s=rng.choice([5, 40, 90]))
                try:
                    gate.record_outcome(outcome, when + timedelta(minutes=2))
                    if rng.random() < 0.2:
                        gate.record_outcome(outcome, when + timedelta(minutes=3))  # a retry: settled once
                except CollectGuardError:
                    pass  # already reported (the retried attempt of the batch)
    return list(dict.fromkeys(ids))


def test_the_figures_equal_a_recount_from_the_attempts(gate, store):
    ids = random_mix(gate, seed=12)
    figures, denials = stored(store)
    expected, expected_denials = recount(store)
    assert figures == expected
    assert denials == expected_denials
    assert sum(c[0] for c in figures.values()) == len(ids)
    assert sum(c[5] for c in figures.values()) >= 1  # the contact made against a deny
    assert sum(c[2] for c in figures.values()) > 0 and sum(c[1] for c in figures.values()) > 0
    # The institution's local day: 22:59:59 Shanghai is the 20th in Tokyo, 23:00:30 Shanghai already the 21st.
    assert figures[("bank", date(2026, 5, 20), "bank", "bot1", "voice")][0] >= 1
    with store.read() as session:
        late = {r.id: r for r in session.execute(select(AttemptRow).where(AttemptRow.id.in_(["late-1", "late-2"])))
                .scalars()}
    assert late["late-1"].at.astimezone(ZONE).date() == date(2026, 5, 20)
    assert late["late-2"].at.astimezone(ZONE).date() == date(2026, 5, 21)
    assert ("bank", date(2026, 5, 21), "agA", "c1", "voice") in figures


def test_migration_0018_backfills_the_same_figures(gate, store, db_url):
    random_mix(gate, seed=3)
    before = stored(store)
    gate.close()
    with store.transaction() as session:  # the backfill must not rely on what the gate wrote
        session.execute(delete(DailyFigures))
        session.execute(delete(DailyDenials))
    store.dispose()
    command.downgrade(alembic_config(db_url), "0017")
    upgrade(db_url)
    assert stored(store) == before
    assert stored(store) == recount(store)


def test_the_reads_sum_the_figures_for_the_console(gate, store):
    random_mix(gate, seed=5)
    expected, expected_denials = recount(store)
    first, last = date(2026, 5, 19), date(2026, 5, 23)
    with store.read() as session:
        days = daily.totals(session, "bank", first, last)
        assert [d.key for d in days] == [first + timedelta(days=n) for n in range(5)]
        assert days[0].attempts == 0 and days[-1].attempts == 0
        for d in days:
            assert [getattr(d, c) for c in COUNTERS] == [
                sum(v[i] for k, v in expected.items() if k[1] == d.key) for i in range(6)]
        agency = daily.totals(session, "bank", first, last, orgs=["agA"])
        assert sum(d.attempts for d in agency) == sum(v[0] for k, v in expected.items() if k[2] == "agA")
        assert {t.key: t.attempts for t in daily.by_org(session, "bank", first, last)} == {
            org: sum(v[0] for k, v in expected.items() if k[2] == org) for org in {k[2] for k in expected}}
        assert {t.key: t.denied for t in daily.by_channel(session, "bank", first, last)} == {
            ch: sum(v[2] for k, v in expected.items() if k[4] == ch) for ch in {k[4] for k in expected}}
        assert {t.key: t.outcomes for t in daily.by_collector(session, "bank", first, last, orgs=["bank"])} == {
            "bot1": sum(v[3] for k, v in expected.items() if k[3] == "bot1")}
        rules = daily.denials_by_rule(session, "bank", first, last)
        assert {r.rule: r.n for r in rules} == {
            rule: sum(n for k, n in expected_denials.items() if k[5] == rule) for rule in {k[5] for k in expected_denials}}
        assert [r.n for r in rules] == sorted((r.n for r in rules), reverse=True)
        assert daily.denials_by_rule(session, "bank", first, last, collector="nobody") == []
        assert daily.totals(session, "other-bank", first, first)[0].attempts == 0
        assert daily.today(session, "bank", datetime(2026, 5, 20, 15, 30, tzinfo=ZoneInfo("UTC"))) == date(2026, 5, 21)

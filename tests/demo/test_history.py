"""The demo's history of attempts (demo/history.py): decided by the real gate on past weekdays, its ledger, attempts
and daily figures agree; `grow` copies it to earlier weeks with a valid ledger chain and the figures kept."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collectguard.db.store import Store
from collectguard.demo.history import PREFIX, grow, weekdays_before
from collectguard.demo.organisations import SHANGHAI
from collectguard.demo.world import load_demo
from collectguard.gate.models import AttemptRow, DailyDenials, DailyFigures
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from tests.demo.conftest import DAY

DAYS, PER_DAY = 7, 60


@pytest.fixture(scope="module")
def history_url(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'demo.db'}"
    summary = load_demo(url, seed=7, debtors=300, start=DAY, history_days=DAYS, history_per_day=PER_DAY)
    return url, summary


def figures_and_recount(session) -> tuple[tuple[int, ...], tuple[int, ...]]:
    stored = session.execute(select(*(func.sum(getattr(DailyFigures, c)) for c in (
        "attempts", "allowed", "denied", "outcomes", "connected", "against_deny")))).one()
    rows = session.execute(select(AttemptRow.allowed, AttemptRow.outcome_at, AttemptRow.connected,
                                  AttemptRow.against_deny)).all()
    recount = (len(rows), sum(r.allowed for r in rows), sum(not r.allowed for r in rows),
               sum(r.outcome_at is not None for r in rows), sum(bool(r.connected) for r in rows if r.outcome_at),
               sum(r.against_deny for r in rows))
    return tuple(int(v or 0) for v in stored), recount


def test_the_gate_decides_a_history_on_past_weekdays_during_the_day(history_url):
    url, summary = history_url
    history = summary.history
    assert history is not None
    days = weekdays_before(DAY, DAYS)
    assert history.days == len(days) == 5
    assert history.attempts == PER_DAY * len(days)
    assert history.allowed > 0 and history.denied > 0 and history.outcomes > 0 and history.connected > 0
    store = Store(url)
    try:
        with store.read() as session:
            rows = session.execute(select(AttemptRow.id, AttemptRow.at, AttemptRow.allowed)).all()
            assert len(rows) == history.attempts and all(r.id.startswith(PREFIX) for r in rows)
            local = [r.at.astimezone(SHANGHAI) for r in rows]
            assert {t.date() for t in local} == set(days)
            assert all(9 <= t.hour < 20 for t in local)
            assert sum(not r.allowed for r in rows) == history.denied
            # the ledger records every decision and outcome, in a valid chain
            kinds = Counter(session.execute(select(LedgerRecord.kind)).scalars())
            assert kinds["gate:attempt:decided"] == history.attempts
            assert kinds["gate:attempt:outcome"] == history.outcomes
            assert verify(session).ok
            stored, recount = figures_and_recount(session)
            assert stored == recount
            assert recount[3] == history.outcomes and recount[5] == history.against_deny
            assert session.execute(select(func.sum(DailyDenials.n))).scalar() >= history.denied
    finally:
        store.dispose()


def test_grow_copies_the_history_to_earlier_weeks(history_url):
    url, summary = history_url
    assert summary.history is not None
    target = summary.history.attempts * 2 + 50
    store = Store(url)
    try:
        added = grow(store, target, chunk=100)
        with store.read() as session:
            total = session.execute(select(func.count()).select_from(AttemptRow)).scalar()
            assert total == target == summary.history.attempts + added.attempts
            copies = session.execute(select(AttemptRow.id, AttemptRow.at, AttemptRow.decision)
                                     .where(AttemptRow.id.like(f"{PREFIX}%.c2"))).all()
            assert len(copies) == 50
            original = dict(session.execute(select(AttemptRow.id, AttemptRow.at)
                                            .where(AttemptRow.id.in_([c.id[:-3] for c in copies]))).all())
            for c in copies:
                moved = original[c.id[:-3]] - c.at
                assert moved.days % 7 == 0 and moved >= timedelta(weeks=2) and moved.seconds == 0
                assert c.decision["attempt_id"] == c.id
            assert verify(session).ok
            kinds = Counter(session.execute(select(LedgerRecord.kind)).scalars())
            assert kinds["gate:attempt:decided"] == total
            stored, recount = figures_and_recount(session)
            assert stored == recount
        assert grow(store, target).attempts == 0  # already there
    finally:
        store.dispose()

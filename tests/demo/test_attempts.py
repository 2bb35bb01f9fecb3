"""Sample attempts parse as AttemptIn and the gate answers them as labelled: a mix of allows and denies."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from collectguard.db.store import Store
from collectguard.demo.attempts import ALLOW, labelled_attempts
from collectguard.demo.world import DemoSummary, sample_attempts
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.registry.schemas import World

from .conftest import DAY

WEDNESDAY_AFTERNOON = datetime(2026, 5, 6, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_sample_attempts_parse_and_are_deterministic(medium_world: World) -> None:
    attempts = sample_attempts(medium_world, 300, seed=3, start=DAY)
    assert len(attempts) == 300
    assert len({a["id"] for a in attempts}) == 300
    for attempt in attempts:
        AttemptIn.model_validate(attempt)
    assert attempts == sample_attempts(medium_world, 300, seed=3, start=DAY)
    assert attempts != sample_attempts(medium_world, 300, seed=4, start=DAY)
    channels = Counter(a["channel"] for a in attempts)
    assert {"voice", "sms", "letter", "visit"} <= set(channels)


def test_gate_answers_as_labelled(small_world: World, loaded: tuple[str, DemoSummary], demo_store: Store) -> None:
    gate = Gate(demo_store)
    labelled = labelled_attempts(small_world, 80, seed=5, start=DAY)
    wrong = []
    answers = Counter()
    for label, attempt in labelled:
        decision = gate.decide(AttemptIn.model_validate(attempt), WEDNESDAY_AFTERNOON)
        answers[decision.allowed] += 1
        ok = decision.allowed if label == ALLOW else (not decision.allowed and label in decision.failing_rules)
        if not ok:
            wrong.append((label, attempt, decision.failing_rules))
    assert not wrong, wrong
    assert answers[True] >= 30 and answers[False] >= 20

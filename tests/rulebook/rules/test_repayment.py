"""art11-stop-after-repayment (rules/repayment.py): a settled debt is never collected from the moment of
settlement."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from collectguard.rulebook import evaluate
from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import DebtStatus
from tests.rulebook.rules.world import AT, PROFILE, call, check

RULE = "art11-stop-after-repayment"


def settled(at_offset: timedelta | None) -> f.Facts:
    x = call()
    assert x.debt is not None
    when = None if at_offset is None else AT + at_offset
    return replace(x, debt=replace(x.debt, status=DebtStatus.SETTLED, settled_at=when))


def test_from_the_second_of_settlement_collection_stops() -> None:
    failure = check(RULE, settled(timedelta(0)))
    assert failure is not None and failure.en == "debt loan1 was settled 2026-05-20T02:00:00+00:00"
    assert check(RULE, settled(timedelta(seconds=1))) is None


def test_a_debt_settled_at_an_unknown_time_is_settled_now() -> None:
    failure = check(RULE, settled(None))
    assert failure is not None and failure.en == "debt loan1 was settled"


def test_an_open_debt_passes_and_an_unknown_debt_fails_closed() -> None:
    assert check(RULE, call()) is None
    decision = evaluate(replace(call(), debt=None), PROFILE)
    assert not decision.allowed and RULE in [e.rule for e in decision.errors]

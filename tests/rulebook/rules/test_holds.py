"""hold-active (rules/holds.py): a hold stops every contact from its start until its release."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from collectguard.rulebook import facts as f
from tests.rulebook.rules.world import AT, call, check

RULE = "hold-active"


def test_a_hold_in_force_names_its_reasons_and_ids() -> None:
    holds = (f.Hold("h1", "dispute", AT - timedelta(days=1), debt_id="loan1"),
             f.Hold("h2", "litigation", AT, debtor_id="d1"))
    failure = check(RULE, replace(call(), holds=holds))
    assert failure is not None
    assert failure.en == "hold reason: dispute, litigation (h1, h2)" and failure.zh == "暂停原因：dispute, litigation（h1, h2）"


def test_a_hold_not_yet_started_or_released_does_not_stop_collection() -> None:
    later = f.Hold("h1", "dispute", AT + timedelta(seconds=1), debt_id="loan1")
    released = f.Hold("h2", "dispute", AT - timedelta(days=2), released_at=AT, debt_id="loan1")
    assert check(RULE, replace(call(), holds=(later, released))) is None

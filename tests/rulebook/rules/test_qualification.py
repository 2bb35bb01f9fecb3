"""art6-collector-qualified (rules/qualification.py): every problem of every member is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from collectguard.rulebook import evaluate
from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import Channel, CollectorKind, CollectorStatus, Mode
from tests.rulebook.rules.world import PROFILE, call, check, reasons

RULE = "art6-collector-qualified"


def collector(**changes: object) -> f.Facts:
    x = call()
    assert x.collector is not None
    return replace(x, collector=replace(x.collector, **changes))


def test_a_qualified_human_passes() -> None:
    assert check(RULE, call()) is None


def test_training_365_days_ago_is_valid_and_366_is_not() -> None:
    assert check(RULE, collector(last_training=date(2025, 5, 20))) is None
    failure = check(RULE, collector(last_training=date(2025, 5, 19)))
    assert failure is not None and "c1: last trained 366 days ago (max 365)" in failure.en


def test_every_problem_of_a_human_is_named() -> None:
    zh, en = reasons(collector(status=CollectorStatus.SUSPENDED, pre_job_exam=date(2026, 5, 21), pledge_signed=False,
                               last_training=None), RULE)
    for part in ("status is suspended", "no pre-job exam passed", "confidentiality pledge not signed",
                 "no training on record"):
        assert f"c1: {part}" in en
    assert zh.count("；") == 3


def test_an_ai_agent_needs_approval_and_no_training() -> None:
    assert check(RULE, collector(kind=CollectorKind.AI_AGENT, approved=True, last_training=None)) is None
    failure = check(RULE, collector(kind=CollectorKind.AI_AGENT, approved=False))
    assert failure is not None and failure.en == "c1: AI agent not approved by the institution"


def test_a_visit_names_unknown_and_unqualified_members() -> None:
    x = call(channel=Channel.VISIT, mode=Mode.INTERACTIVE, team=("c2", "c3"))
    assert x.collector is not None
    failure = check(RULE, replace(x, team={"c2": replace(x.collector, id="c2", pledge_signed=False), "c3": None}))
    assert failure is not None
    assert failure.en == "c2: confidentiality pledge not signed; c3: not registered"


def test_an_unknown_collector_fails_closed() -> None:
    decision = evaluate(replace(call(), collector=None), PROFILE)
    assert not decision.allowed and RULE in [e.rule for e in decision.errors]

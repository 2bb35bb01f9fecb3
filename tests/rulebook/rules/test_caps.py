"""art15-voice-cap, art16-effective-call-cap, art16-visit-cap (rules/caps.py): leases held, consumed or expired
today count; released ones and other days do not; a combined voice cap is named as such."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from collectguard.rulebook import facts as f
from collectguard.rulebook.policy import InstitutionPolicy, resolve_limits
from collectguard.rulebook.vocabulary import Channel, LeaseState, Mode
from tests.rulebook.rules.world import AT, PROFILE, call, check, judge, reasons

VOICE = "art15-voice-cap"
EFFECTIVE = "art16-effective-call-cap"
VISIT = "art16-visit-cap"


def past(rule: str, state: LeaseState, *, days_ago: int = 0, n: int = 0) -> f.PastAttempt:
    return f.PastAttempt(f"p{rule}{state}{days_ago}{n}", AT - timedelta(days=days_ago, minutes=5 + n), Channel.VOICE,
                         Mode.NOTIFICATION, True, "d1", rule, state, state is LeaseState.CONSUMED)


def test_three_counting_leases_today_fill_the_voice_cap() -> None:
    history = (past(VOICE, LeaseState.CONSUMED), past(VOICE, LeaseState.HELD), past(VOICE, LeaseState.EXPIRED))
    zh, en = reasons(replace(call(), history=history), VOICE)
    assert "3 connected or in-flight calls today, the cap is 3" in en and "已达上限 3" in zh


def test_released_leases_and_yesterdays_do_not_count() -> None:
    history = (past(VOICE, LeaseState.RELEASED), past(VOICE, LeaseState.CONSUMED, days_ago=1, n=1),
               past(VOICE, LeaseState.CONSUMED, days_ago=1, n=2), past(VOICE, LeaseState.CONSUMED, n=3),
               past(VOICE, LeaseState.CONSUMED, n=4))
    decision = judge(replace(call(), history=history))
    assert decision.allowed and decision.quotas[VOICE] == 0


def test_a_combined_voice_cap_counts_both_kinds_of_call() -> None:
    limits = resolve_limits(PROFILE, InstitutionPolicy(combined_voice_cap=2))
    history = (past(VOICE, LeaseState.CONSUMED), past(EFFECTIVE, LeaseState.CONSUMED, n=1))
    failure = check(VOICE, replace(call(), limits=limits, history=history))
    assert failure is not None and "2 voice calls today reach the institution's combined cap of 2" in failure.en


def test_each_cap_judges_only_its_own_kind_of_attempt() -> None:
    full = tuple(past(EFFECTIVE, LeaseState.CONSUMED, n=i) for i in range(3))
    assert check(EFFECTIVE, replace(call(), history=full)) is None  # a notification call
    interactive = replace(call(mode=Mode.INTERACTIVE, recording=True, template_id=None), history=full)
    assert check(EFFECTIVE, interactive) is not None
    one_visit = (past(VISIT, LeaseState.CONSUMED),)
    failure = check(VISIT, replace(call(channel=Channel.VISIT, mode=Mode.INTERACTIVE), history=one_visit))
    assert failure is not None and "1 effective or in-flight visits today, the cap is 1" in failure.en

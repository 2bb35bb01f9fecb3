"""Counting what happened (RULES.md, Counting and concurrency): a contact made against a deny counts like any
other, on the day it ended when its outcome says so; a letter sent despite a deny starts the 7-day interval
(issue 10, items 3, 10, 12)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collectguard.rulebook import facts as f
from collectguard.rulebook import load_profile
from collectguard.rulebook.calendar import day_instants, local_date
from collectguard.rulebook.policy import resolve_limits
from collectguard.rulebook.usage import (
    VOICE_CAP,
    counted_at,
    last_letter_date,
    letter_sent,
    remaining,
    used_today,
)
from collectguard.rulebook.vocabulary import Channel, LeaseState, Mode, PartyKind

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 21, 9, 0, tzinfo=SH)


def facts(*history: f.PastAttempt) -> f.Facts:
    return f.Facts(
        at=NOW, attempt=f.Attempt("new", "c1", "loan1", "d1", Channel.VOICE, Mode.NOTIFICATION), institution_id="bank",
        limits=resolve_limits(load_profile()), collector=None, debt=f.Debt("loan1", "bank", "d1", "card"),
        party=f.Party("d1", PartyKind.DEBTOR, "d1", "Asia/Shanghai"), history=history,
    )


def call(at: datetime, *, allowed: bool, state: LeaseState, connected: bool | None = True,
         ended_at: datetime | None = None) -> f.PastAttempt:
    return f.PastAttempt(id=f"p{at.isoformat()}", at=at, channel=Channel.VOICE, mode=Mode.NOTIFICATION,
                         allowed=allowed, party_id="d1", quota_rule=VOICE_CAP, lease_state=state, connected=connected,
                         product="card", ended_at=ended_at)


def letter(at: datetime, *, allowed: bool, connected: bool | None) -> f.PastAttempt:
    return f.PastAttempt(id=f"l{at.isoformat()}", at=at, channel=Channel.LETTER, mode=Mode.NOTIFICATION,
                         allowed=allowed, party_id="d1", quota_rule=None, lease_state=LeaseState.NONE,
                         connected=connected, product="card")


def test_a_call_made_against_a_deny_that_consumed_counts_against_the_day() -> None:
    made = call(datetime(2026, 5, 21, 7, 30, tzinfo=SH), allowed=False, state=LeaseState.CONSUMED)
    assert used_today(facts(made), VOICE_CAP) == 1
    assert remaining(facts(made), VOICE_CAP, taking=VOICE_CAP) == 1


def test_a_call_against_a_deny_counts_on_the_day_it_ended_and_a_lease_on_the_day_it_was_taken() -> None:
    late_evening = datetime(2026, 5, 20, 23, 58, tzinfo=SH)
    after_midnight = datetime(2026, 5, 21, 0, 5, tzinfo=SH)
    denied = call(late_evening, allowed=False, state=LeaseState.CONSUMED, ended_at=after_midnight)
    allowed = call(late_evening, allowed=True, state=LeaseState.CONSUMED, ended_at=after_midnight)
    assert counted_at(denied) == after_midnight and counted_at(allowed) == late_evening
    assert used_today(facts(denied), VOICE_CAP) == 1  # the 21st's
    assert used_today(facts(allowed), VOICE_CAP) == 0  # the 20th's, whose unit its lease held
    assert used_today(facts(replace(denied, ended_at=None)), VOICE_CAP) == 0  # not said: the day it was asked


@pytest.mark.parametrize(("allowed", "connected", "sent"), [
    (True, None, True), (True, True, True), (True, False, False),
    (False, None, False), (False, False, False), (False, True, True),
])
def test_a_letter_counts_as_sent_when_allowed_and_not_returned_or_denied_but_reported_delivered(
        allowed: bool, connected: bool | None, sent: bool) -> None:
    past = letter(datetime(2026, 5, 18, 10, 0, tzinfo=SH), allowed=allowed, connected=connected)
    assert letter_sent(past) is sent
    assert last_letter_date(facts(past), "card") == (date(2026, 5, 18) if sent else None)


@pytest.mark.parametrize("zone_name", ["Asia/Shanghai", "America/Santiago", "America/Havana", "Europe/London",
                                       "Australia/Lord_Howe", "Pacific/Apia"])
def test_a_days_instants_hold_exactly_the_instants_of_that_local_day(zone_name: str) -> None:
    """`day_instants` (what the quotas count between) agrees with the local date of every instant, across the
    year's transitions: Santiago and Havana skip or repeat a midnight, Lord Howe moves by half an hour, Apia
    once skipped a whole day."""
    zone = ZoneInfo(zone_name)
    moment = datetime(2011, 1, 1, tzinfo=UTC)
    while moment < datetime(2012, 12, 31, tzinfo=UTC):
        day = local_date(moment, zone)
        for candidate in (day - timedelta(days=1), day, day + timedelta(days=1)):
            first, after = day_instants(candidate, zone)
            assert (first <= moment < after) == (candidate == day), (zone_name, moment, candidate)
        moment += timedelta(minutes=30)

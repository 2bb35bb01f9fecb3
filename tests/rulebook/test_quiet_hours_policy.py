"""Quiet hours in a policy mean one thing in both places: what `validate_policy` accepts as stricter is what
the calendar keeps quiet. Quiet hours whose `from` equals their `to` are quiet all day (issue 10, fix 1).

Property: any policy the validator accepts never allows an instant the guideline's default forbids, in any
zone, daylight-saving days included, to the second.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collectguard.rulebook import evaluate, load_profile
from collectguard.rulebook.calendar import next_window_moment, windows_outside, within
from collectguard.rulebook.facts import Facts
from collectguard.rulebook.policy import InstitutionPolicy, PolicyError, resolve_limits, validate_policy
from collectguard.rulebook.profile import QuietHours
from tests.rulebook.rules.world import call

PROFILE = load_profile()
DEFAULT = windows_outside(PROFILE.quiet_hours)
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Urumqi"]
# 2026: New York and London change clocks in March, October and November; Lord Howe by half an hour.
START = datetime(2026, 1, 1, tzinfo=UTC)


def accepted(quiet: QuietHours) -> bool:
    try:
        validate_policy(InstitutionPolicy(quiet_hours=quiet), PROFILE)
    except PolicyError:
        return False
    return True


# Times near the guideline's edges (and to the second) are where a looser policy would hide.
EDGES = st.sampled_from([time(22, 0), time(8, 0), time(21, 59, 59), time(22, 0, 1), time(7, 59, 59),
                         time(8, 0, 1), time(0, 0), time(12, 0), time(21, 0), time(9, 0)])
TIMES = st.one_of(EDGES, st.builds(time, st.integers(0, 23), st.integers(0, 59), st.sampled_from([0, 0, 1, 30, 59])))


@st.composite
def quiet_hours(draw: st.DrawFn) -> QuietHours:
    start = draw(TIMES)
    end = draw(st.one_of(st.just(start), TIMES))
    return QuietHours(start, end)


INSTANTS = st.builds(lambda s: START + timedelta(seconds=s), st.integers(0, 366 * 86_400))


@settings(max_examples=1500, deadline=None)
@given(quiet_hours(), INSTANTS, st.sampled_from(ZONES))
def test_an_accepted_policy_never_allows_what_the_default_forbids(quiet: QuietHours, at: datetime, zone: str) -> None:
    assume(accepted(quiet))
    if within(at, windows_outside(quiet), ZoneInfo(zone)):
        assert within(at, DEFAULT, ZoneInfo(zone)), f"{quiet} allows {at.astimezone(ZoneInfo(zone))}"


@settings(max_examples=300, deadline=None)
@given(quiet_hours(), INSTANTS)
def test_the_gate_under_an_accepted_policy_never_allows_a_call_the_default_forbids(quiet: QuietHours, at: datetime) -> None:
    assume(accepted(quiet))
    default = evaluate(_at(at, None), PROFILE)
    stricter = evaluate(_at(at, quiet), PROFILE)
    if stricter.allowed:
        assert default.allowed
    if "art9-quiet-hours" in default.failing_rules:
        assert "art9-quiet-hours" in stricter.failing_rules


@settings(max_examples=300, deadline=None)
@given(quiet_hours(), INSTANTS, st.sampled_from(ZONES))
def test_the_next_allowed_moment_under_an_accepted_policy_is_inside_the_default_hours(
    quiet: QuietHours, at: datetime, zone: str
) -> None:
    assume(accepted(quiet))
    moment = next_window_moment(at, windows_outside(quiet), ZoneInfo(zone))
    assert moment is None or within(moment, DEFAULT, ZoneInfo(zone))


def _at(at: datetime, quiet: QuietHours | None) -> Facts:
    """The baseline call at `at`, under the guideline's hours or under a policy's quiet hours."""
    x = call()
    policy = InstitutionPolicy(quiet_hours=quiet) if quiet is not None else None
    return replace(x, at=at, limits=resolve_limits(PROFILE, policy))


def test_quiet_hours_from_a_time_to_the_same_time_are_quiet_all_day() -> None:
    quiet = QuietHours(time(21, 0), time(21, 0))
    assert accepted(quiet)
    assert windows_outside(quiet) == ()
    zone = ZoneInfo("Asia/Shanghai")
    for hour in (3, 10, 21, 23):
        assert not within(datetime(2026, 5, 20, hour, tzinfo=zone), windows_outside(quiet), zone)
    assert next_window_moment(datetime(2026, 5, 20, 3, tzinfo=zone), windows_outside(quiet), zone) is None


@pytest.mark.parametrize("start", ["22:00:01", "22:00:30", "22:00:59"])
def test_quiet_hours_starting_seconds_after_22_00_are_looser_and_refused(start: str) -> None:
    # The old check counted whole minutes, so quiet from 22:00:30 "covered" 22:00 and 22:00:00–22:00:29
    # was allowed.
    h, m, s = (int(p) for p in start.split(":"))
    with pytest.raises(PolicyError) as refused:
        validate_policy(InstitutionPolicy(quiet_hours=QuietHours(time(h, m, s), time(8, 0))), PROFILE)
    assert refused.value.field == "quiet_hours"


@pytest.mark.parametrize(("start", "end"), [(time(22, 0), time(8, 0)), (time(21, 0), time(9, 0)),
                                            (time(22, 0), time(8, 0, 1)), (time(0, 0), time(0, 0)),
                                            (time(9, 0), time(8, 59, 59))])
def test_quiet_hours_covering_22_00_to_08_00_are_accepted(start: time, end: time) -> None:
    assert accepted(QuietHours(start, end))


@pytest.mark.parametrize(("start", "end"), [(time(23, 0), time(8, 0)), (time(22, 0), time(7, 59, 59)),
                                            (time(8, 0), time(22, 0)), (time(2, 0), time(1, 0))])
def test_quiet_hours_leaving_part_of_22_00_to_08_00_open_are_refused(start: time, end: time) -> None:
    assert not accepted(QuietHours(start, end))

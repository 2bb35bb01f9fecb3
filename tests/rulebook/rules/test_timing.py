"""art9-quiet-hours (rules/timing.py): 08:00:00 ≤ t < 22:00:00 in the party's zone, agreed windows instead when
the debtor agreed them, and quiet hours whose `from` equals their `to` quiet all day (issue 10, fix 1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from collectguard.rulebook import facts as f
from collectguard.rulebook.calendar import Window
from collectguard.rulebook.policy import (
    DebtorAgreementTerms,
    InstitutionPolicy,
    resolve_limits,
    validate_policy,
)
from collectguard.rulebook.profile import QuietHours
from tests.rulebook.rules.world import PROFILE, call, check, judge, reasons

QUIET = "art9-quiet-hours"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(hour: int, minute: int = 0, second: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 5, day, hour, minute, second, tzinfo=SHANGHAI)


def at(x: f.Facts, moment: datetime, **limits: object) -> f.Facts:
    return replace(x, at=moment, limits=resolve_limits(PROFILE, **limits))  # type: ignore[arg-type]


@pytest.mark.parametrize(("moment", "quiet"), [
    (local(7, 59, 59), True), (local(8), False), (local(21, 59, 59), False), (local(22), True), (local(3), True),
])
def test_the_guideline_hours_are_08_00_to_22_00(moment: datetime, quiet: bool) -> None:
    assert (check(QUIET, at(call(), moment)) is not None) is quiet


def test_a_quiet_hour_names_the_local_time_and_the_allowed_hours() -> None:
    zh, en = reasons(at(call(), local(22, 30)), QUIET)
    assert "2026-05-20 22:30:00 Asia/Shanghai is outside the allowed hours 08:00–22:00" in en
    assert "不在允许时段 08:00–22:00 内" in zh


def test_the_partys_zone_decides() -> None:
    x = call()
    assert x.party is not None
    new_york = replace(x, party=replace(x.party, timezone="America/New_York"))
    # 10:00 in Shanghai is 22:00 the evening before in New York (daylight time).
    assert check(QUIET, new_york) is not None and check(QUIET, x) is None


def test_an_agreed_window_replaces_the_default_and_is_named_as_agreed() -> None:
    terms = DebtorAgreementTerms(windows=(Window(time(19, 0), time(21, 0)),))
    assert check(QUIET, at(call(), local(20), agreement=terms)) is None
    zh, en = reasons(at(call(), local(10), agreement=terms), QUIET)
    assert "outside the agreed windows 19:00–21:00" in en and "不在约定时段 19:00–21:00 内" in zh


@pytest.mark.parametrize("hour", [0, 3, 8, 10, 20, 21, 23])
def test_quiet_hours_from_21_00_to_21_00_allow_no_hour(hour: int) -> None:
    quiet = InstitutionPolicy(quiet_hours=QuietHours(time(21, 0), time(21, 0)))
    validate_policy(quiet, PROFILE)  # accepted as stricter: quiet all day
    decision = judge(at(call(), local(hour), policy=quiet))
    assert decision.failing_rules == (QUIET,) and decision.next_allowed_at is None
    (v,) = decision.violations
    assert "quiet hours cover the whole day" in v.message_en and "全天静默" in v.message_zh


def test_a_stricter_policy_moves_the_next_allowed_time() -> None:
    quiet = InstitutionPolicy(quiet_hours=QuietHours(time(21, 0), time(9, 0)))
    decision = judge(at(call(), local(8, 30), policy=quiet))
    assert decision.failing_rules == (QUIET,)
    assert decision.next_allowed_at == local(9).astimezone(UTC)

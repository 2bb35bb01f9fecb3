"""The past-retention decision on its edges: exactly the end, 29 February, several institutions, what keeps a
debtor (an open debt, a hold, a complaint), local clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from collectguard.retention.rules import DebtorFacts, add_years, decide, latest, retention_end
from tests.factories import at


def facts(last: datetime | None, *, institutions: tuple[str, ...] = ("bank",), **kw: object) -> DebtorFacts:
    data: dict[str, object] = {"debtor_id": "d1", "institutions": frozenset(institutions), "open_debts": 0,
                               "last_activity": last}
    data.update(kw)
    return DebtorFacts(**data)  # type: ignore[arg-type]


def test_exactly_the_years_later_is_past_and_a_second_before_is_not():
    f = facts(at("2026-05-25 10:00"))
    assert not decide(f, {"bank": 2}, at("2028-05-25 09:59:59"), 5).past
    verdict = decide(f, {"bank": 2}, at("2028-05-25 10:00"), 5)
    assert verdict.past and verdict.ends_at == at("2028-05-25 10:00")


def test_the_default_applies_to_an_institution_without_a_policy():
    f = facts(at("2026-05-25 10:00"))
    assert not decide(f, {}, at("2030-05-25 10:00"), 5).past
    assert decide(f, {}, at("2031-05-25 10:00"), 5).past


def test_29_february_ends_on_1_march_of_a_common_year_and_on_29_february_of_a_leap_year():
    assert add_years(date(2024, 2, 29), 2) == date(2026, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    f = facts(at("2024-02-29 12:00"))
    assert not decide(f, {"bank": 2}, at("2026-02-28 23:59"), 5).past  # kept at least two years: not the 28th
    assert decide(f, {"bank": 2}, at("2026-03-01 12:00"), 5).past


def test_several_institutions_the_longest_retention_wins():
    f = facts(at("2026-01-10 09:00"), institutions=("bank", "bank2"))
    years = {"bank": 2, "bank2": 5}
    verdict = decide(f, years, at("2029-01-10 09:00"), 5)
    assert not verdict.past and verdict.reason == "within-retention" and verdict.ends_at == at("2031-01-10 09:00")
    assert decide(f, years, at("2031-01-10 09:00"), 5).past


def test_the_end_is_counted_on_the_institution_local_clock():
    # 2026-03-01 01:00 in Shanghai is still 28 February in UTC: in UTC terms the end is 2028-02-29 17:00 (Shanghai
    # 2028-03-01 01:00), not 2028-02-28.
    last = datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    assert retention_end(last, 2, "Asia/Shanghai") == at("2028-03-01 01:00")
    assert retention_end(last, 2, "UTC") == datetime(2028, 2, 28, 17, 0, tzinfo=UTC)


def test_what_keeps_a_debtor_whatever_the_date():
    long_ago = at("2010-01-01 09:00")
    now = at("2030-01-01 09:00")
    assert decide(facts(long_ago, open_debts=1), {}, now, 5).reason == "open-debt"
    assert decide(facts(long_ago, open_holds=1), {}, now, 5).reason == "open-hold"
    assert decide(facts(long_ago, open_complaints=1), {}, now, 5).reason == "open-complaint"
    assert decide(facts(None, institutions=()), {}, now, 5).reason == "no-debt"
    assert decide(facts(long_ago), {}, now, 5).past


def test_latest_ignores_missing_instants():
    assert latest(None, at("2026-01-01 00:00"), None, at("2025-01-01 00:00")) == at("2026-01-01 00:00")
    assert latest(None, None) is None

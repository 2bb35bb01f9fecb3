"""`rulebook-not-in-force`: with no rule in force the gate denies, naming why (fail closed; issue 10, fix 2).

Before the profile's first effective date (a wrong clock, a replay of old data) nothing of the regulation
applies, and an attempt that nothing judged used to be allowed — a faxed letter to a contact who refused, on
a settled debt, included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from collectguard.rulebook import evaluate
from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import Channel, DebtStatus, Delivery, Mode, ToolType
from tests.rulebook.rules.world import PROFILE, call, judge, reasons, to_contact

NOT_IN_FORCE = "rulebook-not-in-force"
# 2024-05-01 00:00 in Shanghai is 2024-04-30 16:00 UTC: the day is the debtor's.
FIRST_MOMENT = datetime(2024, 4, 30, 16, 0, tzinfo=UTC)


def dated(x: f.Facts, at: datetime) -> f.Facts:
    """The attempt at another instant, its collector trained a month before."""
    assert x.collector is not None
    trained = (at - timedelta(days=30)).date()
    return replace(x, at=at, collector=replace(x.collector, pre_job_exam=trained, last_training=trained))


def test_the_profile_applies_from_2024_05_01() -> None:
    assert PROFILE.effective_from == date(2024, 5, 1)


def test_the_last_second_before_the_first_effective_day_is_denied_naming_the_profile_and_its_date() -> None:
    zh, en = reasons(dated(call(), FIRST_MOMENT - timedelta(seconds=1)), NOT_IN_FORCE)
    assert "nifa-2024" in zh and "2024-05-01" in zh and "2024-04-30" in zh
    assert "nifa-2024" in en and "2024-05-01" in en and "2024-04-30" in en
    assert "fail closed" in en and "拒绝" in zh


def test_a_denial_before_the_effective_date_has_no_next_allowed_time() -> None:
    decision = judge(dated(call(), FIRST_MOMENT - timedelta(days=400)))
    assert not decision.allowed and decision.next_allowed_at is None
    assert decision.failing_rules == (NOT_IN_FORCE,)


def test_from_the_first_effective_day_the_rules_judge_again() -> None:
    assert judge(dated(call(), FIRST_MOMENT + timedelta(hours=10))).allowed


def test_a_faxed_letter_to_a_refusing_contact_on_a_settled_debt_is_denied_before_the_effective_date() -> None:
    x = to_contact(call(channel=Channel.LETTER, delivery=Delivery.FAX), refused=True)
    assert x.debt is not None and x.tool is not None and x.template is not None
    x = replace(x, debt=replace(x.debt, status=DebtStatus.SETTLED, settled_at=datetime(2024, 1, 1, tzinfo=UTC)),
                tool=replace(x.tool, type=ToolType.LETTERHEAD),
                template=replace(x.template, channel=Channel.LETTER, sealed=True))
    before = judge(dated(x, datetime(2024, 3, 1, 2, 0, tzinfo=UTC)))
    assert not before.allowed and before.failing_rules == (NOT_IN_FORCE,)
    after = judge(dated(x, datetime(2024, 5, 6, 2, 0, tzinfo=UTC)))
    assert {"art8-contact-refused", "art11-stop-after-repayment", "art15-letter-no-fax",
            "art15-letter-recipient"} <= set(after.failing_rules)
    assert NOT_IN_FORCE not in after.failing_rules


def test_a_profile_whose_rules_are_all_retired_denies_too() -> None:
    retired = replace(PROFILE, rules=tuple(
        replace(rule, effective_to=date(2026, 1, 31)) if rule.profile == PROFILE.name else rule
        for rule in PROFILE.rules
    ))
    decision = evaluate(call(), retired)
    assert decision.failing_rules == (NOT_IN_FORCE,)
    (v,) = decision.violations
    assert "2026-05-20" in v.message_en and "nifa-2024" in v.message_en
    assert evaluate(replace(call(), at=datetime(2026, 1, 31, 2, 0, tzinfo=UTC)), retired).allowed


def test_a_hold_still_denies_alongside_it() -> None:
    hold = f.Hold("h1", "dispute", datetime(2023, 1, 1, tzinfo=UTC), debt_id="loan1")
    decision = judge(replace(dated(call(), datetime(2024, 3, 1, 2, 0, tzinfo=UTC)), holds=(hold,)))
    assert set(decision.failing_rules) == {NOT_IN_FORCE, "hold-active"}


def test_an_interactive_call_the_day_before_is_denied_too() -> None:
    x = call(mode=Mode.INTERACTIVE, recording=True, template_id=None)
    assert judge(dated(x, FIRST_MOMENT - timedelta(hours=12))).failing_rules == (NOT_IN_FORCE,)

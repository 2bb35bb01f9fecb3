"""art15-template-approved and the letter rules (rules/notices.py). A template's problems are all named at
once (issue 10, fix 7); another institution's template is judged only as not this institution's."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import Audience, Channel, Delivery, LeaseState, Mode, ToolType
from tests.rulebook.rules.world import AT, call, judge, reasons

TEMPLATE = "art15-template-approved"


def with_template(x: f.Facts, **changes: object) -> f.Facts:
    assert x.template is not None
    return replace(x, template=replace(x.template, **changes))


def letter(**attempt: object) -> f.Facts:
    """A sealed letter by post to debtor d1 on letterhead, with a plain envelope template."""
    x = call(**{"channel": Channel.LETTER, "delivery": Delivery.POST, "envelope_template_id": "env", **attempt})
    assert x.tool is not None
    x = replace(x, tool=replace(x.tool, type=ToolType.LETTERHEAD),
                envelope_template=f.Template("env", "bank", Audience.DEBTOR, Channel.LETTER, True, "{debtor_name} 亲启"))
    return with_template(x, channel=Channel.LETTER, sealed=True)


def test_a_notification_must_name_a_template() -> None:
    zh, en = reasons(replace(call(template_id=None), template=None), TEMPLATE)
    assert en.endswith("a notification attempt must name an approved template") and "须指明已审批模板" in zh


def test_an_interactive_call_needs_none_but_a_named_one_must_be_approved() -> None:
    assert judge(replace(call(mode=Mode.INTERACTIVE, recording=True, template_id=None), template=None)).allowed
    x = with_template(call(mode=Mode.INTERACTIVE, recording=True), approved=False)
    assert judge(x).failing_rules == (TEMPLATE,)


def test_an_unknown_template_is_not_registered() -> None:
    assert "template ghost is not registered" in reasons(replace(call(template_id="ghost"), template=None), TEMPLATE)[1]


def test_every_problem_of_a_template_is_named_at_once() -> None:
    zh, en = reasons(with_template(call(), approved=False, active=False, channel=Channel.SMS, version=3), TEMPLATE)
    assert "template tpl v3 is not approved" in en
    assert "template tpl is retired" in en
    assert "template tpl is for sms, not voice" in en
    assert "第3版未获审批" in zh and "已停用" in zh and "用于 sms 渠道" in zh
    assert en.count("; ") == 2 and zh.count("；") == 2


def test_an_approved_but_retired_template_names_only_that() -> None:
    zh, en = reasons(with_template(call(), active=False), TEMPLATE)
    assert en.endswith("template tpl is retired") and "not approved" not in en


def test_another_institutions_template_is_only_not_this_institutions() -> None:
    zh, en = reasons(with_template(call(), institution_id="other", approved=False, active=False,
                                   channel=Channel.EMAIL), TEMPLATE)
    assert en.endswith("template tpl is not this institution's") and "retired" not in en and "email" not in en
    assert "不属于本机构" in zh


@pytest.mark.parametrize(("family", "channel"), [(Channel.SMS, Channel.FIVE_G), (Channel.IM, Channel.VIDEO)])
def test_a_template_serves_its_channel_family(family: Channel, channel: Channel) -> None:
    x = with_template(call(channel=channel, recording=True), channel=family)
    assert TEMPLATE not in judge(x).failing_rules


def test_an_unsealed_letter_template_fails_letter_seal() -> None:
    zh, en = reasons(with_template(letter(), sealed=False), "art15-letter-seal")
    assert "letter template tpl bears no seal" in en and "未加盖公章" in zh


def test_letters_are_never_faxed() -> None:
    assert judge(letter(delivery=Delivery.FAX)).failing_rules == ("art15-letter-no-fax",)


@pytest.mark.parametrize(("days", "allowed"), [(6, False), (7, True)])
def test_letters_for_one_product_are_seven_days_apart(days: int, allowed: bool) -> None:
    earlier = f.PastAttempt("l0", AT - timedelta(days=days), Channel.LETTER, Mode.NOTIFICATION, True, "d1", None,
                            LeaseState.NONE, None, product="card")
    decision = judge(replace(letter(), history=(earlier,)))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.failing_rules == ("art15-letter-interval",)


def test_an_envelope_showing_debt_fields_fails_letter_envelope() -> None:
    x = letter()
    assert x.envelope_template is not None
    x = replace(x, envelope_template=replace(x.envelope_template, text="逾期{overdue_amount}元"))
    assert "the envelope template shows debt fields: overdue_amount" in reasons(x, "art15-letter-envelope")[1]

"""art7-collection-target, art8-contact-precondition, art8-contact-refused, art8-contact-no-disclosure
(rules/targets.py). A disclosure names every template and every problem in it (issue 10, fix 7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from collectguard.rulebook import facts as f
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    DebtorStatus,
    LeaseState,
    Mode,
    Purpose,
    ToolType,
)
from tests.rulebook.rules.world import AT, call, judge, message, reasons, to_contact

TARGET = "art7-collection-target"
PRECONDITION = "art8-contact-precondition"
REFUSED = "art8-contact-refused"
DISCLOSURE = "art8-contact-no-disclosure"


def test_a_guarantor_is_a_target_and_a_stranger_is_not() -> None:
    x = call(party_id="g1")
    assert x.debt is not None and x.party is not None
    guarantor = replace(x, party=replace(x.party, id="g1", debtor_id="g1"))
    assert not judge(guarantor).allowed
    assert judge(replace(guarantor, debt=replace(x.debt, guarantor_ids=("g1",)))).allowed
    assert "g1 is neither borrower nor guarantor of this debt" in reasons(guarantor, TARGET)[1]


def test_a_contact_needs_a_purpose_and_repayment_info_only_when_it_offers_to_repay() -> None:
    assert judge(to_contact(call(), purpose=Purpose.LOCATE)).allowed
    zh, en = reasons(to_contact(call(), purpose=Purpose.REPAYMENT_INFO), TARGET)
    assert "(purpose: repayment_info)" in en and "目的：repayment_info" in zh
    assert judge(to_contact(call(), purpose=Purpose.REPAYMENT_INFO, offers_to_repay=True)).allowed


def test_a_contact_of_another_debtor_is_not_a_target() -> None:
    assert "contact k1 is not a contact of this debt's debtor" in reasons(to_contact(call(), debtor_id="d9"), TARGET)[1]


def test_a_contact_waits_until_the_debtor_cannot_be_reached() -> None:
    x = to_contact(call(), debtor_status=DebtorStatus.NORMAL)
    zh, en = reasons(x, PRECONDITION)
    assert "0 unanswered attempts on 0 days in the last 7 days (needs 3 on 2 days)" in en
    misses = tuple(
        f.PastAttempt(f"p{i}", AT - timedelta(days=i // 2, hours=1 + i), Channel.VOICE, Mode.NOTIFICATION, True,
                      "d1", "art15-voice-cap", LeaseState.RELEASED, False)
        for i in range(3)
    )
    assert judge(replace(x, history=misses)).allowed
    answered = replace(misses[0], id="ok", connected=True, lease_state=LeaseState.CONSUMED)
    assert "the debtor was reached within the last 7 days" in reasons(replace(x, history=(*misses, answered)),
                                                                      PRECONDITION)[1]


def test_a_contact_who_refused_is_never_contacted_again() -> None:
    zh, en = reasons(to_contact(call(), refused=True), REFUSED)
    assert "contact k1 refused to be contacted" in en and "已拒绝联系" in zh


def test_a_debtor_template_with_debt_fields_sent_to_a_contact_names_both_problems() -> None:
    x = to_contact(call())
    assert x.template is not None
    x = replace(x, template=replace(x.template, audience=Audience.DEBTOR, text="逾期{overdue_amount}元，{overdue_days}天"))
    zh, en = reasons(x, DISCLOSURE)
    assert "template tpl is not a contact template" in en
    assert "template tpl contains debt fields: overdue_amount, overdue_days" in en
    assert "不是面向联系人的模板" in zh and "含债务信息字段：overdue_amount, overdue_days" in zh


def test_a_letter_to_a_contact_names_the_letter_template_and_the_envelope() -> None:
    x = to_contact(call(channel=Channel.LETTER, envelope_template_id="env"))
    assert x.template is not None and x.tool is not None
    x = replace(x, tool=replace(x.tool, type=ToolType.LETTERHEAD),
                template=replace(x.template, channel=Channel.LETTER, sealed=True, text="欠款{amount_due}元"),
                envelope_template=f.Template("env", "bank", Audience.DEBTOR, Channel.LETTER, True, "{debtor_name} 亲启"))
    zh, en = message(x, DISCLOSURE)
    assert "template tpl contains debt fields: amount_due" in en and "template env is not a contact template" in en


def test_a_contact_who_offers_to_repay_may_be_told_the_amount_but_only_by_a_contact_template() -> None:
    x = to_contact(call(), purpose=Purpose.REPAYMENT_INFO, offers_to_repay=True)
    assert x.template is not None
    assert judge(replace(x, template=replace(x.template, text="应还{amount_due}元"))).allowed
    zh, en = reasons(replace(x, template=replace(x.template, audience=Audience.DEBTOR, text="应还{amount_due}元")),
                     DISCLOSURE)
    assert en.endswith("template tpl is not a contact template") and "debt fields" not in en

"""Call-level checks: identity stated, recording notice, identity verified, disclosure, amounts."""

from __future__ import annotations

import pytest

from collectguard.qa.inspector import inspect_text
from collectguard.qa.models import Call
from collectguard.qa.text import amounts, chinese_number
from tests.qa.helpers import call, categories


def raw_call(turns: list[tuple[str, str]], audience: str = "debtor", meta: dict | None = None) -> Call:
    t = 0.0
    rows = []
    for speaker, text in turns:
        rows.append({"speaker": speaker, "text": text, "start": t, "end": t + 3})
        t += 4
    return Call.model_validate({"id": "c", "audience": audience, "turns": rows, "meta": meta or {}})


# --- identity-not-stated ----------------------------------------------------------------------

def test_opening_without_institution_is_flagged() -> None:
    c = raw_call([("agent", "喂，是刘先生吗？本次通话录音。"), ("debtor", "是我。"), ("agent", "您的账单该处理了。")])
    assert "identity-not-stated" in categories(c)


def test_department_only_opening_names_no_institution() -> None:
    c = raw_call([("agent", "您好，我是客户服务中心的专员，通话录音，请问是刘先生吗？"), ("debtor", "是我。")])
    assert "identity-not-stated" in categories(c)


def test_institution_named_by_intro_or_at_clause_start_or_meta() -> None:
    by_intro = raw_call([("agent", "您好，这里是长风消费金融，本次通话录音，请问是刘先生吗？"), ("debtor", "是我。")])
    at_start = raw_call([("agent", "长风银行信用卡中心提醒您，本次通话录音，请问是刘先生吗？"), ("debtor", "是的。")])
    by_meta = raw_call([("agent", "您好，我是长风的小李，本次通话录音，请问是刘先生吗？"), ("debtor", "是的。")],
                       meta={"institution": "长风消费金融有限公司"})
    for c in (by_intro, at_start, by_meta):
        assert "identity-not-stated" not in categories(c)


def test_institution_named_only_late_does_not_count() -> None:
    turns = [("agent", "喂，刘先生吧？本次通话录音。"), ("debtor", "是我。"), ("agent", "您还没还款。"),
             ("debtor", "嗯。"), ("agent", "我们是长风银行的。")]
    assert "identity-not-stated" in categories(raw_call(turns))


def test_mentioning_the_debtors_lender_is_not_an_introduction() -> None:
    c = raw_call([("agent", "喂，刘先生吧？本次通话录音。"), ("debtor", "对。"), ("agent", "你在长风消费金融的借款没还。")])
    assert "identity-not-stated" in categories(c)


# --- recording-notice-missing -----------------------------------------------------------------

def test_interactive_call_without_recording_notice() -> None:
    c = raw_call([("agent", "您好，这里是长风银行，请问是刘先生吗？"), ("debtor", "是我。")])
    assert "recording-notice-missing" in categories(c)


def test_recording_notice_negated_is_still_missing_and_one_way_calls_need_none() -> None:
    negated = raw_call([("agent", "您好，这里是长风银行，这个电话没有录音。"), ("debtor", "哦。")])
    assert "recording-notice-missing" in categories(negated)
    one_way = raw_call([("agent", "长风银行提醒您，请登录官方App查看账单。")])
    assert "recording-notice-missing" not in categories(one_way)


# --- identity-not-verified --------------------------------------------------------------------

def test_debt_details_before_confirmation() -> None:
    c = raw_call([("agent", "您好，这里是长风银行，通话录音。您欠款4200元已经逾期30天。"), ("debtor", "你找谁？")])
    assert "identity-not-verified" in categories(c)


def test_debt_details_after_confirmation_are_fine() -> None:
    c = raw_call([("agent", "您好，这里是长风银行，通话录音，请问是刘先生本人吗？"), ("debtor", "是，哪位？"),
                  ("agent", "您欠款4200元已经逾期30天。")])
    assert "identity-not-verified" not in categories(c)


def test_denial_or_question_is_no_confirmation() -> None:
    for reply in ("不是，你打错了。", "嗯？什么？信号不好。"):
        c = raw_call([("agent", "您好，这里是长风银行，通话录音，请问是刘先生吗？"), ("debtor", reply),
                      ("agent", "您欠款4200元已经逾期30天。")])
        assert "identity-not-verified" in categories(c), reply


# --- third-party-disclosure -------------------------------------------------------------------

def test_debt_details_told_to_a_contact() -> None:
    c = call(("agent", "他在我们这欠了九千多，逾期三个月了。"), audience="contact")
    assert "third-party-disclosure" in categories(c)
    assert "identity-not-verified" not in categories(c)


@pytest.mark.parametrize("text", [
    "他那张信用卡已经停了好几期没还。",
    "他的车贷三月十五号就到期了，一直没动静。",
    "她这笔分期连续两个月没还，罚息也在涨。",
])
def test_product_time_or_penalty_told_to_a_contact_is_disclosure(text: str) -> None:
    assert "third-party-disclosure" in categories(call(("agent", text), audience="contact"))


def test_a_bare_unpaid_debt_without_details_is_no_disclosure() -> None:
    relay = call(("agent", "他欠了钱一直没处理，麻烦您转告他回个电话。"), audience="contact")
    assert "third-party-disclosure" not in categories(relay)
    demand = categories(call(("agent", "你女儿欠钱不还，你当爹的得替她还上。"), audience="contact"))
    assert demand == {"third-party-pressure"}


def test_contact_who_offers_to_repay_may_be_told_the_amount() -> None:
    c = call(("contact", "我是他哥，我来替他还吧，多少钱？"), ("agent", "好的，目前应还4200元，请在官方App代还。"),
             audience="contact")
    assert "third-party-disclosure" not in categories(c)


def test_relay_request_to_a_contact_is_clean() -> None:
    c = call(("agent", "麻烦您转告他给长风银行回个电话，谢谢。"), audience="contact")
    assert categories(c) == set()


# --- misleading: inflated amount --------------------------------------------------------------

def test_stated_amount_far_above_ledger_is_misleading() -> None:
    assert "misleading" in categories(call(("agent", "您一共欠我们一万二千元。"), meta={"overdue_amount": 4200}))


def test_stated_amount_matching_ledger_is_fine() -> None:
    assert "misleading" not in categories(call(("agent", "您一共欠我们4200元。"), meta={"overdue_amount": "4200.00"}))


def test_chinese_numbers_and_amounts() -> None:
    assert chinese_number("三千二") == 3200
    assert chinese_number("一万五千") == 15000
    assert chinese_number("两百五十") == 250
    assert [a[2] for a in amounts("欠了八千，还有1.5万元和3,200块")] == [8000, 15000, 3200]
    assert amounts("千万别这样") == []


# --- inspect_text (templates) -----------------------------------------------------------------

def test_template_with_debt_fields_to_a_contact_is_disclosure() -> None:
    found = {f.category for f in inspect_text("{institution}提醒：{debtor_name}的借款已逾期{overdue_days}天，"
                                              "欠款{overdue_amount}元。", "contact")}
    assert "third-party-disclosure" in found
    assert "identity-not-stated" not in found


def test_template_for_debtor_and_relay_template_for_contact() -> None:
    debtor = inspect_text("{institution}提醒您：本期应还{overdue_amount}元，请通过官方App还款。", "debtor")
    assert debtor == []
    contact = inspect_text("{institution}：请转告{debtor_name}尽快回电。", "contact")
    assert contact == []
    anonymous = inspect_text("请尽快回电处理您的账单。", "debtor")
    assert {f.category for f in anonymous} == {"identity-not-stated"}

"""Template linting (`lint_template`, `inspect_text`) used when a template is submitted for approval."""

from __future__ import annotations

import pytest

from collectguard.qa.inspector import inspect_text
from collectguard.qa.templates import lint_template, names_institution


def cats(text: str, audience: str = "debtor", channel: str = "sms") -> set[str]:
    return {f.category for f in lint_template(text, audience, channel)}


def test_a_clean_signed_debtor_template_has_no_findings() -> None:
    assert lint_template("【长风银行】您的借款已逾期{overdue_days}天，应还{overdue_amount}元，请通过官方App还款。",
                         "debtor", "sms") == []


@pytest.mark.parametrize(("text", "category"), [
    ("【长风银行】逾期三天即上报公安，刑事立案后直接拘留。", "misleading"),
    ("【长风银行】今天不还，我们的人晚上就去你家门口等你。", "threat"),
    ("【长风银行】你这个废物，欠钱不还。", "insult"),
    ("【长风银行】办理延期需先缴纳三百元加急服务费。", "extra-fee"),
    ("【长风银行】请将欠款转入专员个人支付宝。", "private-channel"),
    ("【长风银行】资金紧张可先到其他网贷平台借款周转后还款。", "illegal-funding"),
])
def test_conduct_phrases_are_flagged_in_templates(text: str, category: str) -> None:
    assert category in cats(text)


@pytest.mark.parametrize("field", ["{overdue_amount}", "{overdue_days}", "{overdue_date}", "{amount}", "{due_date}",
                                   "{penalty_interest}"])
def test_debt_fields_in_a_contact_template_are_disclosure(field: str) -> None:
    findings = lint_template(f"【长风银行】请转告{{debtor_name}}：{field}，请尽快处理。", "contact", "sms")
    disclosure = [f for f in findings if f.category == "third-party-disclosure"]
    assert disclosure and disclosure[0].evidence == field
    assert disclosure[0].rule == "art8-contact-no-disclosure"
    # the same field to the debtor is fine
    assert "third-party-disclosure" not in cats(f"【长风银行】{field}，请尽快处理。", "debtor")


def test_a_relay_template_for_contacts_is_clean() -> None:
    assert lint_template("【长风银行】请转告{debtor_name}尽快回电，谢谢。", "contact", "sms") == []
    assert inspect_text("{institution}：请转告{debtor_name}尽快回电。", "contact") == []


@pytest.mark.parametrize("text", [
    "请尽快回电处理您的账单。",
    "您的借款已逾期，请用银行卡还款。",  # 银行卡 is no institution
    "这里是贷后管理部，请按时还款。",  # a department names no one
])
def test_a_template_naming_no_institution_is_identity_not_stated(text: str) -> None:
    findings = lint_template(text, "debtor", "voice")
    stated = [f for f in findings if f.category == "identity-not-stated"]
    assert len(stated) == 1
    assert stated[0].rule == "art11-identity" and stated[0].severity == "minor" and stated[0].evidence == text


@pytest.mark.parametrize("text", [
    "【长风银行】请按时还款。",  # SMS signature
    "您在长风消费金融的借款已逾期，请尽快处理。",  # organisation-name shape anywhere
    "{institution_name}提醒您按时还款。",  # the institution field
    "{agency}受委托提醒您按时还款。",
    "青禾小贷提醒您：本期账单已出。",
])
def test_naming_the_institution_satisfies_the_template_rule(text: str) -> None:
    assert names_institution(text)
    assert "identity-not-stated" not in cats(text, channel="voice")


def test_unknown_audience_or_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        lint_template("【长风银行】请按时还款。", "neighbour", "sms")
    with pytest.raises(ValueError, match="channel"):
        lint_template("【长风银行】请按时还款。", "debtor", "pigeon")

"""One-way channels are notification-type whatever the declared mode; paper letters need an envelope
template; a hand delivery records its receiver. Every problem of a rule is named, in both languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from collectguard.rulebook import evaluate, load_profile
from collectguard.rulebook import facts as f
from collectguard.rulebook.decision import MODE_TAKEN_AS_NOTIFICATION
from collectguard.rulebook.policy import resolve_limits
from collectguard.rulebook.usage import EFFECTIVE_CALL_CAP, VOICE_CAP, quota_rule_for
from collectguard.rulebook.vocabulary import (
    ONE_WAY_CHANNELS,
    Audience,
    Channel,
    CollectorKind,
    Delivery,
    Mode,
    PartyKind,
    Receiver,
    ReceiverRelation,
    ToolType,
    effective_mode,
)

PROFILE = load_profile()
AT = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday
TOOLS = {Channel.SMS: ToolType.SMS, Channel.FIVE_G: ToolType.SMS, Channel.EMAIL: ToolType.EMAIL,
         Channel.LETTER: ToolType.LETTERHEAD, Channel.VOICE: ToolType.PHONE, Channel.IM: ToolType.IM,
         Channel.VIDEO: ToolType.IM}


def facts(channel: Channel, mode: Mode, *, template: str | None = "tpl", **attempt: object) -> f.Facts:
    """An in-house, qualified collector contacting debtor d1 about loan1 at 10:00 with an approved template of
    the channel (sealed, for letters) and an envelope template `env`; `attempt` changes any attempt field."""
    tpl = f.Template("tpl", "bank", Audience.DEBTOR, channel, True, "请按时还款", sealed=True)
    return f.Facts(
        at=AT,
        attempt=replace(f.Attempt("a1", "c1", "loan1", "d1", channel, mode, tool_id="t1", template_id=template),
                        **attempt),
        institution_id="bank",
        limits=resolve_limits(PROFILE),
        collector=f.Collector("c1", CollectorKind.HUMAN, "bank", pre_job_exam=datetime(2026, 1, 5).date(),
                              pledge_signed=True, last_training=datetime(2026, 1, 5).date()),
        tool=f.Tool("t1", "bank", TOOLS[channel], official=True),
        template=tpl if template else None,
        envelope_template=f.Template("env", "bank", Audience.DEBTOR, Channel.LETTER, True, "{debtor_name} 亲启"),
        debt=f.Debt("loan1", "bank", "d1", "card"),
        party=f.Party("d1", PartyKind.DEBTOR, "d1", "Asia/Shanghai"),
    )


def letter(**attempt: object) -> f.Facts:
    return facts(Channel.LETTER, Mode.NOTIFICATION, **{"envelope_template_id": "env", "delivery": Delivery.POST,
                                                       **attempt})


def message(decision, rule: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    (v,) = [v for v in decision.violations if v.rule == rule]
    return v.message_zh, v.message_en


# -- modes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", sorted(ONE_WAY_CHANNELS))
def test_a_one_way_channel_declared_interactive_is_a_notification_and_needs_a_template(channel: Channel) -> None:
    assert effective_mode(channel, Mode.INTERACTIVE) is Mode.NOTIFICATION
    extra = {"envelope_template_id": "env", "delivery": Delivery.POST} if channel is Channel.LETTER else {}
    decision = evaluate(facts(channel, Mode.INTERACTIVE, template=None, **extra), PROFILE)
    assert decision.failing_rules == ("art15-template-approved",)
    zh, en = message(decision, "art15-template-approved")
    assert f"{channel.value} 为单向渠道" in zh and f"{channel.value} is a one-way channel" in en
    assert decision.mode is Mode.NOTIFICATION
    (note,) = decision.notes
    assert note.code == MODE_TAKEN_AS_NOTIFICATION
    assert "按告知式催收判断" in note.message_zh and "declared interactive" in note.message_en


def test_with_an_approved_template_it_is_allowed_and_the_decision_says_how_it_was_taken() -> None:
    decision = evaluate(facts(Channel.SMS, Mode.INTERACTIVE), PROFILE)
    assert decision.allowed and decision.mode is Mode.NOTIFICATION
    assert [n.code for n in decision.notes] == [MODE_TAKEN_AS_NOTIFICATION]
    declared = evaluate(facts(Channel.SMS, Mode.NOTIFICATION), PROFILE)
    assert declared.allowed and declared.mode is Mode.NOTIFICATION and declared.notes == ()


@pytest.mark.parametrize("channel", [Channel.VOICE, Channel.VIDEO, Channel.IM])
def test_a_two_way_channel_keeps_the_declared_mode(channel: Channel) -> None:
    assert effective_mode(channel, Mode.INTERACTIVE) is Mode.INTERACTIVE
    decision = evaluate(facts(channel, Mode.INTERACTIVE, template=None, recording=True), PROFILE)
    assert decision.allowed, decision.violations
    assert decision.mode is Mode.INTERACTIVE and decision.notes == ()


def test_counting_takes_the_effective_mode() -> None:
    for channel in ONE_WAY_CHANNELS:
        assert quota_rule_for(channel, Mode.INTERACTIVE, PartyKind.DEBTOR) is None
    assert quota_rule_for(Channel.VOICE, Mode.INTERACTIVE, PartyKind.DEBTOR) == EFFECTIVE_CALL_CAP
    assert quota_rule_for(Channel.VOICE, Mode.NOTIFICATION, PartyKind.DEBTOR) == VOICE_CAP
    decision = evaluate(facts(Channel.SMS, Mode.INTERACTIVE), PROFILE)
    assert decision.lease_rule is None and decision.quotas[EFFECTIVE_CALL_CAP] == 3


# -- envelopes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("delivery", "shown_zh", "shown_en"), [
    (Delivery.POST, "送达方式 post", "delivery post"),
    (Delivery.HAND, "送达方式 hand", "delivery hand"),
    (None, "送达方式 未注明", "delivery not given"),
])
def test_a_paper_letter_without_an_envelope_template_fails_saying_it_is_missing(
    delivery: Delivery | None, shown_zh: str, shown_en: str
) -> None:
    decision = evaluate(letter(envelope_template_id=None, delivery=delivery, receiver=Receiver.DEBTOR), PROFILE)
    assert decision.failing_rules == ("art15-letter-envelope",)
    zh, en = message(decision, "art15-letter-envelope")
    assert "缺少信封模板" in zh and shown_zh in zh
    assert "the envelope template is missing" in en and shown_en in en


def test_a_letter_by_email_needs_no_envelope() -> None:
    assert evaluate(letter(envelope_template_id=None, delivery=Delivery.EMAIL), PROFILE).allowed


# -- hand delivery -----------------------------------------------------------------------------------
def test_a_hand_delivery_without_a_receiver_fails_naming_it() -> None:
    decision = evaluate(letter(delivery=Delivery.HAND), PROFILE)
    assert decision.failing_rules == ("art15-letter-recipient",)
    zh, en = message(decision, "art15-letter-recipient")
    assert "须登记签收人" in zh and "must record its receiver (receiver: debtor or family)" in en


@pytest.mark.parametrize(("relation", "told", "missing_en"), [
    (None, None, ["relation to the debtor is missing", "must be told that only the debtor may open it"]),
    (None, True, ["relation to the debtor is missing"]),
    (ReceiverRelation.SPOUSE, None, ["must be told that only the debtor may open it"]),
    (ReceiverRelation.PARENT, False, ["must be told that only the debtor may open it"]),
])
def test_a_family_receiver_needs_the_relation_and_the_notice_and_every_gap_is_named(
    relation: ReceiverRelation | None, told: bool | None, missing_en: list[str]
) -> None:
    decision = evaluate(letter(delivery=Delivery.HAND, receiver=Receiver.FAMILY, receiver_relation=relation,
                               receiver_told=told), PROFILE)
    assert decision.failing_rules == ("art15-letter-recipient",)
    zh, en = message(decision, "art15-letter-recipient")
    assert [m for m in ("relation to the debtor is missing", "must be told that only the debtor may open it")
            if m in en] == missing_en
    assert ("receiver_relation" in zh) == (relation is None) and ("receiver_told" in zh) == (told is not True)


@pytest.mark.parametrize("attempt", [
    {"receiver": Receiver.DEBTOR},
    {"receiver": Receiver.FAMILY, "receiver_relation": ReceiverRelation.SPOUSE, "receiver_told": True},
])
def test_a_hand_delivery_to_the_debtor_or_a_told_family_member_is_allowed(attempt: dict[str, object]) -> None:
    assert evaluate(letter(delivery=Delivery.HAND, **attempt), PROFILE).allowed


def test_a_letter_to_a_contact_by_hand_without_a_receiver_names_both_problems() -> None:
    x = letter(delivery=Delivery.HAND)
    x = replace(x, party=f.Party("k1", PartyKind.CONTACT, "d1", "Asia/Shanghai"),
                attempt=replace(x.attempt, party_id="k1"))
    zh, en = message(evaluate(x, PROFILE), "art15-letter-recipient")
    assert "a letter must be addressed to the debtor; a hand delivery must record its receiver" in en
    assert "函件收件人须为债务人本人；专人送达须登记签收人" in zh

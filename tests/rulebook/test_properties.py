"""Hypothesis properties of the pure rulebook.

- the same facts always give the same decision;
- adding a prohibition never turns a deny into an allow (and never removes a failing rule);
- any rule that raises gives a deny that names it (fail closed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.rulebook import evaluate, load_profile
from collectguard.rulebook import facts as f
from collectguard.rulebook.policy import resolve_limits
from collectguard.rulebook.vocabulary import (
    Audience,
    Channel,
    CollectorKind,
    CollectorStatus,
    DebtStatus,
    Delivery,
    LeaseState,
    ListingStatus,
    Mode,
    PartyKind,
    Purpose,
    Receiver,
    ReceiverRelation,
    ToolType,
)

PROFILE = load_profile()
BASE = datetime(2026, 5, 20, 0, 0, tzinfo=UTC)
TOOL_FOR = {Channel.VOICE: ToolType.PHONE, Channel.SMS: ToolType.SMS, Channel.LETTER: ToolType.LETTERHEAD,
            Channel.VIDEO: ToolType.IM, Channel.EMAIL: ToolType.EMAIL, Channel.IM: ToolType.IM,
            Channel.FIVE_G: ToolType.SMS}


@st.composite
def facts(draw: st.DrawFn) -> f.Facts:
    at = BASE + timedelta(minutes=draw(st.integers(0, 2 * 24 * 60)))
    channel = draw(st.sampled_from(list(Channel)))
    mode = draw(st.sampled_from(list(Mode)))
    party_kind = draw(st.sampled_from(list(PartyKind)))
    in_house = draw(st.booleans())
    zone = draw(st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Urumqi", "Europe/London"]))
    collector = f.Collector(
        id="c1",
        kind=draw(st.sampled_from(list(CollectorKind))),
        org_id="bank" if in_house else "agA",
        status=draw(st.sampled_from([CollectorStatus.ACTIVE] * 3 + [CollectorStatus.SUSPENDED])),
        pre_job_exam=date(2026, 1, 1),
        pledge_signed=draw(st.booleans()),
        last_training=date(2026, 5, 20) - timedelta(days=draw(st.integers(0, 400))),
        approved=draw(st.booleans()),
    )
    tool_type = TOOL_FOR.get(channel, ToolType.PHONE) if draw(st.booleans()) else draw(st.sampled_from(list(ToolType)))
    template_text = draw(st.sampled_from(["请按时还款", "逾期{overdue_amount}元", "请转告{debtor_name}回电"]))
    history = tuple(
        f.PastAttempt(
            id=f"p{i}", at=at - timedelta(hours=draw(st.integers(0, 200))), channel=draw(st.sampled_from(list(Channel))),
            mode=draw(st.sampled_from(list(Mode))), allowed=draw(st.booleans()),
            party_id=draw(st.sampled_from(["d1", "k1"])),
            quota_rule=draw(st.sampled_from([None, "art15-voice-cap", "art16-effective-call-cap", "art16-visit-cap"])),
            lease_state=draw(st.sampled_from(list(LeaseState))), connected=draw(st.sampled_from([None, True, False])),
            product="card",
        )
        for i in range(draw(st.integers(0, 8)))
    )
    return f.Facts(
        at=at,
        attempt=f.Attempt(
            id="a", collector_id="c1", debt_id="loan1", party_id="d1" if party_kind is PartyKind.DEBTOR else "k1",
            channel=channel, mode=mode, tool_id=draw(st.sampled_from(["t1", None])),
            template_id=draw(st.sampled_from(["tpl", None])),
            purpose=draw(st.sampled_from([None, *Purpose])), recording=draw(st.sampled_from([None, True, False])),
            team=tuple(draw(st.lists(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=4))),
            ids_shown=draw(st.sampled_from([None, True])), delivery=draw(st.sampled_from([None, *Delivery])),
            envelope_template_id=draw(st.sampled_from([None, "env"])), receiver=draw(st.sampled_from([None, *Receiver])),
            receiver_relation=draw(st.sampled_from([None, *ReceiverRelation])),
            receiver_told=draw(st.sampled_from([None, True, False])),
        ),
        institution_id="bank",
        limits=resolve_limits(PROFILE),
        collector=collector,
        team={m: replace(collector, id=m) for m in ("c2", "c3", "c4")},
        agency=None if in_house else f.Agency("agA", None, draw(st.sampled_from([None, *ListingStatus]))),
        agreements=() if in_house else (f.Agreement("ag", "agA", date(2026, 1, 1), date(2026, draw(st.integers(1, 12)), 28)),),
        placements=(f.Placement("loan1", "agA", date(2026, 5, 1), date(2026, 6, 30)),) if draw(st.booleans()) else (),
        tool=f.Tool("t1", draw(st.sampled_from(["bank", "other"])), tool_type, official=draw(st.booleans()), filed=draw(st.booleans())),
        template=f.Template("tpl", "bank", draw(st.sampled_from(list(Audience))), channel, draw(st.booleans()),
                            template_text, sealed=draw(st.booleans())),
        envelope_template=f.Template("env", "bank", Audience.DEBTOR, Channel.LETTER, True,
                                     draw(st.sampled_from(["{debtor_name} 亲启", "逾期{overdue_amount}元"]))),
        debt=f.Debt("loan1", "bank", "d1", "card", status=draw(st.sampled_from([DebtStatus.OPEN] * 3 + [DebtStatus.SETTLED])),
                    settled_at=at - timedelta(hours=1)),
        party=f.Party(party_kind.value == "debtor" and "d1" or "k1", party_kind, "d1", zone,
                      refused=draw(st.booleans()), offers_to_repay=draw(st.booleans())),
        history=history,
    )


def refuse_contact(x: f.Facts) -> f.Facts:
    assert x.party is not None
    return replace(x, party=replace(x.party, refused=True))


def settle(x: f.Facts) -> f.Facts:
    assert x.debt is not None
    return replace(x, debt=replace(x.debt, status=DebtStatus.SETTLED, settled_at=x.at))


def suspend_collector(x: f.Facts) -> f.Facts:
    assert x.collector is not None
    return replace(x, collector=replace(x.collector, status=CollectorStatus.SUSPENDED))


def no_recording(x: f.Facts) -> f.Facts:
    return replace(x, attempt=replace(x.attempt, recording=False))


def revoke_template(x: f.Facts) -> f.Facts:
    return replace(x, template=replace(x.template, approved=False) if x.template else None)


def fax(x: f.Facts) -> f.Facts:
    # A hand delivery has checks of its own (who receives it): faxing it instead is another attempt, not the
    # same one with a prohibition added.
    if x.attempt.delivery is Delivery.HAND:
        return x
    return replace(x, attempt=replace(x.attempt, delivery=Delivery.FAX))


def terminate_agency(x: f.Facts) -> f.Facts:
    return replace(x, agency=replace(x.agency, listing=ListingStatus.TERMINATED) if x.agency else None)


def one_more_connected_call_today(x: f.Facts) -> f.Facts:
    assert x.party is not None
    extra = tuple(
        f.PastAttempt(id=f"extra-{rule}", at=x.at, channel=Channel.VOICE, mode=Mode.NOTIFICATION, allowed=True,
                      party_id=x.party.id, quota_rule=rule, lease_state=LeaseState.CONSUMED, connected=True)
        for rule in ("art15-voice-cap", "art16-effective-call-cap", "art16-visit-cap")
    )
    return replace(x, history=x.history + extra)


PROHIBITIONS = [refuse_contact, settle, suspend_collector, no_recording, revoke_template, fax, terminate_agency,
                one_more_connected_call_today]


@settings(max_examples=300, deadline=None)
@given(facts())
def test_the_same_facts_give_the_same_decision(x):
    assert evaluate(x, PROFILE) == evaluate(x, PROFILE)


@settings(max_examples=300, deadline=None)
@given(facts(), st.sampled_from(PROHIBITIONS))
def test_adding_a_prohibition_never_turns_a_deny_into_an_allow(x, prohibit):
    before = evaluate(x, PROFILE)
    after = evaluate(prohibit(x), PROFILE)
    if not before.allowed:
        assert not after.allowed
    assert set(before.failing_rules) <= set(after.failing_rules)


RULE_IDS = sorted(rule.id for rule in PROFILE.rules)


@settings(max_examples=100, deadline=None)
@given(facts(), st.sampled_from(RULE_IDS))
def test_any_rule_error_gives_a_deny_naming_the_rule(x, rule):
    def broken(ctx):
        raise RuntimeError("boom")

    # Rules are immutable: a profile whose one rule breaks is another profile, not a patched global.
    profile = replace(PROFILE, rules=tuple(replace(r, check=broken) if r.id == rule else r for r in PROFILE.rules))
    decision = evaluate(x, profile)
    assert not decision.allowed
    assert rule in decision.failing_rules
    assert any(e.rule == rule and "boom" in e.error for e in decision.errors)
    assert decision.next_allowed_at is None


def test_missing_facts_fail_closed():
    base = f.Facts(
        at=BASE, attempt=f.Attempt("a", "c1", "loan1", "d1", Channel.SMS, Mode.NOTIFICATION),
        institution_id="bank", limits=resolve_limits(PROFILE), collector=None,
    )
    decision = evaluate(base, PROFILE)
    assert not decision.allowed and decision.errors
    assert "art6-collector-qualified" in decision.failing_rules


@pytest.mark.parametrize("rule", RULE_IDS)
def test_every_rule_has_metadata_in_both_languages(rule):
    meta = PROFILE.rule(rule)
    assert meta.article and meta.profile in ("nifa-2024", "collectguard")
    assert meta.message_zh and meta.message_en
    assert meta.effective_from <= date(2024, 5, 1)

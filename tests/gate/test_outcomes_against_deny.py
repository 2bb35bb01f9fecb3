"""Outcomes for denied attempts count (RULES.md, Counting and concurrency), and an outcome may say when the
call ended (`ended_at`), which names the day it counts on — on both backends (issue 10, items 3, 10, 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from collectguard.errors import Conflict, InvalidInput
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.registry import schemas as s
from tests.factories import at, build, voice_call, world

call = voice_call
CAP = "art15-voice-cap"
EFFECTIVE = "art16-effective-call-cap"


def agent_call(ident: str) -> object:
    """A human agent's interactive call (art. 16(二)1: the effective-call cap)."""
    return call(ident, collector="c1", mode="interactive", template=None, recording=True)


@pytest.fixture
def gate(store):
    build(store)
    return Gate(store)


def stored(store, attempt_id: str) -> AttemptRow:
    with store.read() as session:
        row = session.execute(select(AttemptRow).where(AttemptRow.id == attempt_id)).scalar_one()
        session.expunge(row)
        return row


def test_a_connected_call_made_against_a_deny_consumes_the_days_quota_and_is_flagged(gate, store):
    denied = gate.decide(call("a0"), at("2026-05-20 07:30"))  # quiet hours
    assert denied.failing_rules == ["art9-quiet-hours"] and denied.lease is None
    out = gate.record_outcome(OutcomeIn(attempt="a0", connected=True, duration_s=20), at("2026-05-20 07:31"))
    assert out.against_deny and out.consumed and out.lease_state == "consumed" and not out.late
    row = stored(store, "a0")
    assert row.against_deny and row.quota_rule == CAP and row.lease_state == "consumed" and not row.allowed
    # The call happened: only two more fit the day.
    assert gate.decide(call("a1"), at("2026-05-20 09:00")).quotas[CAP] == 1
    assert gate.decide(call("a2"), at("2026-05-20 09:01")).quotas[CAP] == 0
    third = gate.decide(call("a3"), at("2026-05-20 09:02"))
    assert third.failing_rules == [CAP] and third.next_allowed_at == at("2026-05-21 08:00")


def test_a_denied_call_that_did_not_connect_takes_nothing_and_is_not_flagged(gate, store):
    gate.decide(call("a0"), at("2026-05-20 07:30"))
    out = gate.record_outcome(OutcomeIn(attempt="a0", connected=False), at("2026-05-20 07:31"))
    assert not out.against_deny and not out.consumed and out.lease_state == "none"
    row = stored(store, "a0")
    assert not row.against_deny and row.quota_rule is None and row.connected is False
    assert gate.decide(call("a1"), at("2026-05-20 09:00")).quotas[CAP] == 2


def test_an_agent_call_against_a_deny_takes_an_effective_call_only_when_effective(gate):
    assert not gate.decide(agent_call("s0"), at("2026-05-20 07:00")).allowed
    short = gate.record_outcome(OutcomeIn(attempt="s0", connected=True, duration_s=5), at("2026-05-20 07:01"))
    assert short.against_deny and not short.consumed  # connected against the deny, but not an effective call
    assert not gate.decide(agent_call("s1"), at("2026-05-20 07:10")).allowed
    long = gate.record_outcome(OutcomeIn(attempt="s1", connected=True, duration_s=90), at("2026-05-20 07:12"))
    assert long.against_deny and long.consumed
    d = gate.decide(agent_call("s2"), at("2026-05-20 09:00"))
    assert d.allowed and d.quotas[EFFECTIVE] == 1 and d.quotas[CAP] == 3


def test_a_retried_outcome_for_a_denied_attempt_answers_the_flag_again_and_counts_once(gate):
    gate.decide(call("a0"), at("2026-05-20 07:30"))
    first = gate.record_outcome(OutcomeIn(attempt="a0", connected=True), at("2026-05-20 07:31"))
    again = gate.record_outcome(OutcomeIn(attempt="a0", connected=True), at("2026-05-20 07:40"))
    assert again == first and again.against_deny
    assert gate.decide(call("a1"), at("2026-05-20 09:00")).quotas[CAP] == 1


def test_ended_at_is_never_before_the_attempt_nor_in_the_future(gate):
    gate.decide(call("a1"), at("2026-05-20 09:00"))
    for ended, code in (("2026-05-20 08:59:59", "ended-before-attempt"), ("2026-05-20 09:05:01", "ended-in-future")):
        with pytest.raises(InvalidInput) as err:
            gate.record_outcome(OutcomeIn(attempt="a1", connected=True, ended_at=at(ended)), at("2026-05-20 09:05"))
        assert err.value.field == "ended_at" and err.value.code == code
        assert "ended_at" in err.value.message_zh and "ended_at" in err.value.message_en
    # The bounds themselves are fine, and a retry must say the same end time.
    out = gate.record_outcome(OutcomeIn(attempt="a1", connected=True, ended_at=at("2026-05-20 09:05")),
                              at("2026-05-20 09:05"))
    assert out.consumed
    with pytest.raises(Conflict):
        gate.record_outcome(OutcomeIn(attempt="a1", connected=True, ended_at=at("2026-05-20 09:04")),
                            at("2026-05-20 09:06"))


def test_a_call_against_a_deny_counts_on_the_day_it_ended(gate, store):
    """Reported after midnight (a SIP proxy posting once the gate is back), ended after midnight: the 21st's."""
    gate.decide(call("a0"), at("2026-05-20 23:58"))
    gate.record_outcome(OutcomeIn(attempt="a0", connected=True, duration_s=240, ended_at=at("2026-05-21 00:05")),
                        at("2026-05-21 00:20"))
    assert stored(store, "a0").ended_at == at("2026-05-21 00:05")
    assert gate.decide(call("a1"), at("2026-05-21 09:00")).quotas[CAP] == 1


def test_without_ended_at_a_call_against_a_deny_counts_on_the_day_it_was_asked(gate):
    gate.decide(call("a0"), at("2026-05-20 23:58"))
    gate.record_outcome(OutcomeIn(attempt="a0", connected=True), at("2026-05-21 00:20"))
    assert gate.decide(call("a1"), at("2026-05-21 09:00")).quotas[CAP] == 2


def test_an_allowed_lease_keeps_the_day_it_was_taken_whatever_ended_at_says(store):
    """A lease held the 20th's unit from the decision on: moving it to the 21st when the call ends after midnight
    would let the 21st's deciders take that unit a second time."""
    build(store, world(debtor_agreements=[{"debtor": "d1", "institution": "bank",
                                           "windows": [{"from": "08:00", "to": "01:00"}]}]))
    gate = Gate(store)
    assert gate.decide(call("a0"), at("2026-05-20 23:55")).allowed
    gate.record_outcome(OutcomeIn(attempt="a0", connected=True, ended_at=at("2026-05-21 00:02")),
                        at("2026-05-21 00:03"))
    assert gate.decide(call("a1"), at("2026-05-21 00:10")).quotas[CAP] == 2


@pytest.fixture
def letters(store):
    w = world()
    build(store, w.model_copy(update={
        "tools": [*w.tools, s.ToolIn(id="lh", institution="bank", type="letterhead", official=True)],
        "templates": [*w.templates,
                      s.TemplateIn(id="t-letter", institution="bank", audience="debtor", channel="letter",
                                   approved=True, sealed=True, text="尊敬的客户：请通过官方渠道还款。示例银行（电子签章）"),
                      s.TemplateIn(id="t-env", institution="bank", audience="debtor", channel="letter",
                                   approved=True, text="{debtor_name} 亲启")],
    }))
    return Gate(store)


def letter(ident: str, delivery: str = "post") -> object:
    return call(ident, collector="c1", channel="letter", tool="lh", template="t-letter", envelope_template="t-env",
                delivery=delivery)


def test_a_letter_sent_despite_a_deny_starts_the_7_day_interval(letters):
    assert letters.decide(letter("l1", "fax"), at("2026-05-01 10:00")).failing_rules == ["art15-letter-no-fax"]
    out = letters.record_outcome(OutcomeIn(attempt="l1", connected=True), at("2026-05-01 10:05"))
    assert out.against_deny and out.lease_state == "none"  # a letter takes no call quota
    d = letters.decide(letter("l2"), at("2026-05-04 10:00"))
    assert d.failing_rules == ["art15-letter-interval"] and d.next_allowed_at == at("2026-05-08 08:00")
    assert letters.decide(letter("l3"), at("2026-05-08 08:00")).allowed


def test_a_denied_letter_never_delivered_starts_nothing(letters):
    letters.decide(letter("l1", "fax"), at("2026-05-01 10:00"))
    letters.record_outcome(OutcomeIn(attempt="l1", connected=False), at("2026-05-01 10:05"))
    assert letters.decide(letter("l2"), at("2026-05-01 10:10") + timedelta(days=1)).allowed

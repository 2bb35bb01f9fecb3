"""The gate service on both backends: an SMS declared interactive is decided, stored and answered as a
notification; the hand-delivery fields are accepted only in their closed forms."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.rulebook.decision import MODE_TAKEN_AS_NOTIFICATION
from tests.factories import at, build, voice_call


@pytest.fixture
def gate(store):
    build(store)
    return Gate(store)


def sms(ident: str, **kw: object) -> AttemptIn:
    return voice_call(ident, **{"channel": "sms", "mode": "interactive", "tool": "sms", "template": "t-sms", **kw})


def test_an_sms_declared_interactive_is_answered_and_stored_as_a_notification(gate, store):
    d = gate.decide(sms("s1"), at("2026-05-20 09:00"))
    assert d.allowed and d.mode == "notification" and d.lease is None
    assert [n.code for n in d.notes] == [MODE_TAKEN_AS_NOTIFICATION]
    assert "declared interactive" in d.notes[0].message_en and "按告知式催收判断" in d.notes[0].message_zh
    with store.transaction() as session:
        row = session.execute(select(AttemptRow).where(AttemptRow.id == "s1")).scalar_one()
        assert row.mode == "notification"  # counted and reported as what it is
        assert row.request["mode"] == "interactive"  # what the caller said is kept
        assert row.decision["notes"][0]["code"] == MODE_TAKEN_AS_NOTIFICATION
    again = gate.decide(sms("s1"), at("2026-05-20 09:00:05"))
    assert again == d  # a retry replays the stored answer, notes included


def test_an_sms_declared_interactive_without_a_template_is_denied(gate):
    d = gate.decide(sms("s2", template=None), at("2026-05-20 09:00"))
    assert d.failing_rules == ["art15-template-approved"]
    assert "sms is a one-way channel" in d.violations[0].message_en


def test_a_declared_notification_carries_no_note(gate):
    d = gate.decide(voice_call("v1"), at("2026-05-20 09:00"))
    assert d.mode == "notification" and d.notes == []


@pytest.mark.parametrize(("field", "value"), [
    ("receiver", "neighbour"),
    ("receiver_relation", "张三的妻子"),  # a relation is a category, never free text that could hold a name
    ("receiver_told", "yes please"),
])
def test_hand_delivery_fields_take_only_their_closed_forms(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        voice_call("l1", channel="letter", delivery="hand", **{field: value})
    assert err.value.errors()[0]["loc"] == (field,)


def test_hand_delivery_fields_are_accepted() -> None:
    a = voice_call("l1", channel="letter", delivery="hand", receiver="family", receiver_relation="spouse",
                   receiver_told=True)
    assert (a.receiver, a.receiver_relation, a.receiver_told) == ("family", "spouse", True)

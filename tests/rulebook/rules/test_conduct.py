"""art16-recording, art16-visit-team, art16-visit-id (rules/conduct.py)."""

from __future__ import annotations

import pytest

from collectguard.rulebook.vocabulary import Channel, Mode
from tests.rulebook.rules.world import call, check

RECORDING = "art16-recording"
TEAM = "art16-visit-team"
IDS = "art16-visit-id"


@pytest.mark.parametrize(("channel", "mode", "needs"), [
    (Channel.VOICE, Mode.INTERACTIVE, True), (Channel.VIDEO, Mode.INTERACTIVE, True), (Channel.VISIT, Mode.INTERACTIVE, True),
    (Channel.VISIT, Mode.NOTIFICATION, True), (Channel.VOICE, Mode.NOTIFICATION, False), (Channel.IM, Mode.INTERACTIVE, False),
])
def test_interactive_voice_video_and_visits_must_be_recorded(channel: Channel, mode: Mode, needs: bool) -> None:
    failure = check(RECORDING, call(channel=channel, mode=mode, recording=None))
    assert (failure is not None) is needs
    if failure is not None:
        assert failure.en == "recording throughout is not declared"
    assert check(RECORDING, call(channel=channel, mode=mode, recording=True)) is None


@pytest.mark.parametrize(("team", "ok"), [((), False), (("c2",), True), (("c2", "c3"), True),
                                          (("c2", "c3", "c4"), False), (("c1", "c2", "c2"), True)])
def test_a_visit_has_two_or_three_staff_each_counted_once(team: tuple[str, ...], ok: bool) -> None:
    failure = check(TEAM, call(channel=Channel.VISIT, mode=Mode.INTERACTIVE, team=team))
    assert (failure is None) is ok
    if failure is not None:
        assert "to 3 required" in failure.en


def test_a_visit_declares_ids_shown_and_other_channels_need_not() -> None:
    failure = check(IDS, call(channel=Channel.VISIT, mode=Mode.INTERACTIVE))
    assert failure is not None and failure.en == "showing work IDs is not declared"
    assert check(IDS, call(channel=Channel.VISIT, mode=Mode.INTERACTIVE, ids_shown=True)) is None
    assert check(IDS, call()) is None

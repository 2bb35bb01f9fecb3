"""Over HTTP, a gate whose writer thread died answers 503 naming it, never a request that hangs (issue 10, item 8)."""

from __future__ import annotations

import threading

from tests.api.conftest import auth

CALL = {"id": "w1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}


class _Killed(BaseException):
    """Not an Exception: nothing in the batch path catches it, so it ends the writer thread."""


def test_over_http_a_dead_writer_is_a_503_naming_it_and_the_next_request_is_served(api, monkeypatch):
    client, tokens = api
    committer = client.app.state.gate.committer
    committer.wait_s = 2.0
    run = committer._run

    def dies_once(decides, outcomes):
        monkeypatch.setattr(committer, "_run", run)  # the next writer runs batches as usual
        raise _Killed("the writer dies")

    monkeypatch.setattr(committer, "_run", dies_once)
    answers: list = []
    asking = threading.Thread(target=lambda: answers.append(
        client.post("/v1/attempts", headers=auth(tokens["integration"]), json=CALL)), daemon=True)
    asking.start()
    asking.join(20)
    assert answers, "the request never got an answer"
    r = answers[0]
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "gate-writer-unavailable" and r.json()["message_zh"] and r.json()["message_en"]
    again = client.post("/v1/attempts", headers=auth(tokens["integration"]), json=CALL)
    assert again.status_code == 200, again.text

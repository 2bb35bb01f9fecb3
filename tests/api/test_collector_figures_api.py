"""GET /v1/collectors/{id}/figures: a collector's day, contacts made against a deny included (issue 10, item 3),
scoped like the other gate reads."""

from __future__ import annotations

from tests.api.conftest import auth
from tests.factories import at

CALL = {"collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}


def ask(client, token, clock, when: str, ident: str, **kw: object) -> dict:
    clock.now = at(when)
    r = client.post("/v1/attempts", json={**CALL, "id": ident, **kw}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def report(client, token, clock, when: str, ident: str, **body: object) -> dict:
    clock.now = at(when)
    r = client.post(f"/v1/attempts/{ident}/outcome", json=body, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def figures(client, token, collector: str, day: str | None = None):  # type: ignore[no-untyped-def]
    query = f"?day={day}" if day else ""
    return client.get(f"/v1/collectors/{collector}/figures{query}", headers=auth(token))


def test_a_collectors_day_counts_the_call_made_against_a_deny(api, clock):
    client, tokens = api
    token = tokens["integration"]
    assert ask(client, token, clock, "2026-05-20 07:30", "a0")["decision"] == "deny"  # quiet hours
    assert report(client, token, clock, "2026-05-20 07:32", "a0", connected=True, duration_s=20)["against_deny"]
    ask(client, token, clock, "2026-05-20 09:00", "a1")
    report(client, token, clock, "2026-05-20 09:01", "a1", connected=True, duration_s=30)
    ask(client, token, clock, "2026-05-20 10:00", "a2")  # no outcome ever: missing from 10:10
    ask(client, token, clock, "2026-05-20 10:05", "a3", channel="sms", tool="sms", template="t-sms")
    report(client, token, clock, "2026-05-20 10:06", "a3", connected=False)
    clock.now = at("2026-05-20 12:00")
    r = figures(client, tokens["auditor"], "bot1", "2026-05-20")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["attempts"], body["allowed"], body["denied"]) == (4, 3, 1)
    assert (body["outcomes"], body["connected"]) == (3, 2)
    assert body["consumed"] == {"art15-voice-cap": 2}
    assert body["against_deny"] == 1 and body["against_deny_attempts"] == ["a0"]
    assert body["missing_outcomes"] == 1
    assert body["day"] == "2026-05-20" and body["collector"] == "bot1" and body["institution_id"] == "bank"
    # Today (Asia/Shanghai) by default.
    assert figures(client, tokens["auditor"], "bot1").json() == body


def test_a_call_made_against_a_deny_counts_on_the_day_it_ended(api, clock):
    client, tokens = api
    token = tokens["integration"]
    ask(client, token, clock, "2026-05-20 23:58", "a0")
    report(client, token, clock, "2026-05-21 00:20", "a0", connected=True, duration_s=240,
           ended_at="2026-05-21T00:05:00+08:00")
    first = figures(client, tokens["auditor"], "bot1", "2026-05-20").json()
    assert (first["attempts"], first["denied"], first["against_deny"], first["outcomes"]) == (1, 1, 0, 0)
    second = figures(client, tokens["auditor"], "bot1", "2026-05-21").json()
    assert (second["attempts"], second["against_deny"], second["against_deny_attempts"]) == (0, 1, ["a0"])
    assert second["consumed"] == {"art15-voice-cap": 1}


def test_figures_are_scoped_like_the_other_gate_reads(api, clock):
    client, tokens = api
    ask(client, tokens["integration"], clock, "2026-05-20 07:30", "a0")
    report(client, tokens["integration"], clock, "2026-05-20 07:31", "a0", connected=True)
    ask(client, tokens["agency_operator"], clock, "2026-05-20 09:00", "c-a1", collector="c1")
    # An agency's key reads only its own (and its subcontractors') collectors; anyone else's is not found.
    assert figures(client, tokens["agency_operator"], "bot1", "2026-05-20").status_code == 404
    own = figures(client, tokens["agency_operator"], "c1", "2026-05-20")
    assert own.status_code == 200 and own.json()["attempts"] == 1
    # Another institution: bank's own collector is unknown to it; the shared agency's shows only its own attempts.
    assert figures(client, tokens["bank2_admin"], "bot1", "2026-05-20").status_code == 404
    shared = figures(client, tokens["bank2_admin"], "c1", "2026-05-20").json()
    assert shared["attempts"] == 0 and shared["institution_id"] == "bank2"
    assert figures(client, tokens["auditor"], "nobody", "2026-05-20").status_code == 404
    bad = figures(client, tokens["auditor"], "bot1", "20-05-2026")
    assert bad.status_code == 422 and bad.json()["field"] == "day"

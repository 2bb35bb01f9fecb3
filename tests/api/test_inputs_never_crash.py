"""Inputs a fuzzer found (issue 9, items 6 and 7): each is a 4xx naming what is wrong and where, never a
500, on both backends. Dates and amounts are bounded to their domain; a retried outcome compares as stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from collectguard.fields import MAX_TOTAL
from collectguard.registry import models as m
from tests.api.conftest import auth

CALL = {"id": "x1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
DEEP = "[" * 1000 + "]" * 1000  # deeper than Python's JSON parser recurses


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


def _refused(r, field: str, status: int = 422) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["message_zh"] and body["message_en"], body
    assert body["field"] == field, body
    return body


# -- item 6: dates and amounts ---------------------------------------------------------------------------
def test_a_training_after_today_is_refused_naming_the_date(api):
    client, tokens = api
    admin = auth(tokens["institution_admin"])  # the clock: 2026-05-20 10:00 in Shanghai
    body = _refused(client.post("/v1/trainings", json={"collector": "bot1", "date": "2026-05-21"}, headers=admin), "date")
    assert body["code"] == "training-in-future"
    assert client.post("/v1/trainings", json={"collector": "bot1", "date": "2026-05-20"}, headers=admin).status_code == 200
    trainings = client.get("/v1/collectors/bot1/trainings", headers=admin).json()
    assert [t["day"] for t in trainings] == ["2026-05-20"]  # the future one left nothing behind


@pytest.mark.parametrize("duration", ["42.12345", "0.0001", "86400.5", "-1", "10000000.5", 1e7, "1e3", True])
def test_an_outcome_duration_outside_its_domain_is_refused(api, duration):
    client, tokens = api
    integration = auth(tokens["integration"])
    assert client.post("/v1/attempts", json=CALL, headers=integration).status_code == 200
    r = client.post("/v1/attempts/x1/outcome", json={"connected": True, "duration_s": duration}, headers=integration)
    _refused(r, "duration_s")
    # nothing was recorded: a valid report is still the first one
    ok = client.post("/v1/attempts/x1/outcome", json={"connected": True, "duration_s": 42}, headers=integration)
    assert ok.status_code == 200, ok.text


def test_a_retried_outcome_gets_the_first_answer_however_the_duration_is_written(api):
    client, tokens = api
    integration = auth(tokens["integration"])
    assert client.post("/v1/attempts", json=CALL, headers=integration).status_code == 200
    first = client.post("/v1/attempts/x1/outcome", json={"connected": True, "duration_s": "42.125"}, headers=integration)
    assert first.status_code == 200, first.text
    for same in ("42.1250", 42.125, "42.125"):
        retry = client.post("/v1/attempts/x1/outcome", json={"connected": True, "duration_s": same},
                            headers=integration)
        assert retry.status_code == 200 and retry.json() == first.json(), (same, retry.text)
    for longest in ("86400", "86400.000"):  # the domain's end is accepted, and compared as stored
        client.post("/v1/attempts", json={**CALL, "id": f"x-{longest}"}, headers=integration)
        r = client.post(f"/v1/attempts/x-{longest}/outcome", json={"connected": False, "duration_s": longest},
                        headers=integration)
        assert r.status_code == 200, r.text
    other = client.post("/v1/attempts/x1/outcome", json={"connected": True, "duration_s": "42.126"}, headers=integration)
    assert other.status_code == 409 and other.json()["code"] == "outcome-already-recorded"


@pytest.mark.parametrize("amount", ["1000000000000.00", "0.001", "-0.01", "NaN", "1e3", " 12", True, 1e13])
def test_a_repayment_amount_outside_its_domain_is_refused(api, amount):
    client, tokens = api
    r = client.post("/v1/repayments", json={"debt": "loan1", "amount": amount, "settled": False},
                    headers=auth(tokens["institution_admin"]))
    _refused(r, "amount")


def test_repayments_never_total_more_than_the_column_holds(api):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    with client.app.state.store.transaction() as session:
        session.execute(update(m.Debt).where(m.Debt.id == "loan1").values(repaid_total=MAX_TOTAL - Decimal("1.00")))
    body = _refused(client.post("/v1/repayments", json={"debt": "loan1", "amount": "2.00", "settled": False},
                                headers=admin), "amount")
    assert body["code"] == "amount-too-large"
    ok = client.post("/v1/repayments", json={"debt": "loan1", "amount": "1.00", "settled": False}, headers=admin)
    assert ok.status_code == 200, ok.text
    assert client.get("/v1/debts/loan1", headers=admin).json()["repaid_total"] == str(MAX_TOTAL)


# -- item 7: 500s from input ------------------------------------------------------------------------------
def test_json_nested_1000_deep_is_a_named_400_on_the_fast_gate_path_and_everywhere(api):
    client, tokens = api
    integration = auth(tokens["integration"])
    assert client.get("/v1/attempts/warm", headers=integration).status_code == 404  # the key is now cached
    bodies = ['{"id": "x1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", '
              '"mode": "notification", "team": ' + DEEP + "}", DEEP]
    for path, headers in (("/v1/attempts", integration), ("/v1/attempts/x1/outcome", integration),
                          ("/v1/holds", auth(tokens["institution_admin"]))):
        for body in bodies:
            for extra in ({}, {"Idempotency-Key": f"deep-{path}-{len(body)}"}):
                r = client.post(path, content=body, headers=_json({**headers, **extra}))
                assert _refused(r, "body", 400)["code"] == "json-too-deep"


def test_a_body_that_is_not_utf8_is_a_named_400(api):
    client, tokens = api
    r = client.post("/v1/holds", content=b'{"note": "\xff"}', headers=_json(auth(tokens["institution_admin"])))
    assert _refused(r, "body", 400)["code"] == "json-not-utf8"


def test_a_non_ascii_secret_answers_exactly_as_an_unknown_key(api):
    client, tokens = api
    key_id = tokens["integration"].partition(".")[0]
    answers = []
    for token in (f"{key_id}.é".encode("latin-1"), f"{key_id}.wrong".encode(),
                  "cgk_0123456789abcdef.é".encode("latin-1"), b"cgk_0123456789abcdef.wrong"):
        for _ in range(2):  # read from the database, then from the key cache
            r = client.get("/v1/attempts/x1", headers={"Authorization": b"Bearer " + token})
            answers.append((r.status_code, r.json()))
    assert answers == [answers[0]] * len(answers)
    assert answers[0] == (401, {"code": "unauthenticated", "message_zh": "API 密钥无效", "message_en": "invalid API key",
                                "field": "Authorization"})


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
def test_a_time_that_overflows_in_utc_is_a_422_naming_it(api, when):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    hold = {"id": "h1", "institution": "bank", "debt": "loan1", "reason": "dispute", "starts_at": when}
    _refused(client.post("/v1/holds", json=hold, headers=admin), "starts_at")
    _refused(client.post("/v1/keys", json={"role": "auditor", "expires_at": when}, headers=admin), "expires_at")
    for name in ("since", "until"):
        _refused(client.get("/v1/ledger", params={name: when}, headers=admin), name)
        _refused(client.get("/v1/attempts/missing-outcomes", params={name: when}, headers=admin), name)


SURROGATE = '"\\ud800"'  # a lone surrogate, as JSON writes it: not encodable as UTF-8


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", "/v1/holds", '{"id": "h1", "institution": "bank", "debt": "loan1", "reason": "dispute", "note": %s}',
     "note"),
    ("POST", "/v1/holds/h0/release", '{"note": %s}', "note"),
    ("POST", "/v1/debtor-status", '{"debtor": "d1", "status": "normal", "reason": %s}', "reason"),
    ("PATCH", "/v1/debtors/d1", '{"name": %s}', "name"),
    ("PATCH", "/v1/contacts/k1", '{"relation": %s}', "relation"),
    ("PATCH", "/v1/institutions/bank", '{"name": %s}', "name"),
    ("POST", "/v1/templates/t-voice/versions", '{"text": %s}', "text"),
    ("POST", "/v1/keys", '{"role": "auditor", "label": %s}', "label"),
])
def test_a_lone_surrogate_in_text_is_a_422_naming_the_field(api, method, path, body, field):
    client, tokens = api
    r = client.request(method, path, content=body % SURROGATE, headers=_json(auth(tokens["institution_admin"])))
    _refused(r, field)


@pytest.mark.parametrize("path", ["/v1/debtors", "/v1/holds", "/v1/notices", "/v1/placements"])
def test_offset_is_bounded_to_a_million(api, path):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    assert client.get(path, params={"offset": 1_000_000}, headers=admin).status_code == 200
    for offset in (1_000_001, 2**63):
        _refused(client.get(path, params={"offset": offset}, headers=admin), "offset")


def test_none_of_these_answers_is_a_500_even_without_the_test_client_raising(api):
    """The same inputs through a client that reports a 500 instead of raising it."""
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    with TestClient(client.app, raise_server_exceptions=False) as raw:
        answers = [
            raw.post("/v1/attempts", content=DEEP, headers=_json(auth(tokens["integration"]))),
            raw.post("/v1/holds", content='{"id": "h1", "institution": "bank", "debt": "loan1", "reason": "dispute", '
                                          '"note": "\\udfff"}', headers=_json(admin)),
            raw.get("/v1/ledger", params={"until": "9999-12-31T23:59:59-08:00"}, headers=admin),
            raw.get("/v1/notices", params={"offset": 2**64}, headers=admin),
        ]
    assert [r.status_code for r in answers] == [400, 422, 422, 422]

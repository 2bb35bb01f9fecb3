"""What the API accepts and answers, stated and kept (issue 9, item 8): every text has a size limit, 0 is never
a date or a flag, a retry is recognised by its JSON whatever its spelling, the last admin key stays, every
status a route answers is documented, settling a debt and placing one need their own permissions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import auth
from tests.factories import at

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _strings(document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]) -> list[tuple[str, dict]]:
    """Every string schema reachable from `schema`, with where it is."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return []
        seen = seen | {name}
    schema = _resolve(document, schema)
    found = [(where, schema)] if schema.get("type") == "string" else []
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found += _strings(document, branch, where, seen)
    for name, prop in schema.get("properties", {}).items():
        found += _strings(document, prop, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        found += _strings(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _strings(document, schema["additionalProperties"], f"{where}{{}}", seen)
    return found


def _inputs(document: dict[str, Any]) -> list[tuple[str, dict]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _strings(document, parameter["schema"], f"{label} {parameter['name']}", set())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += _strings(document, content["schema"], f"{label} body", set())
    return found


def test_every_text_an_operation_takes_has_a_size_limit(api):
    client, _ = api
    document = client.get("/openapi.json").json()
    inputs = _inputs(document)
    assert len(inputs) > 100
    unbounded = sorted({where for where, s in inputs
                        if "maxLength" not in s and "enum" not in s and s.get("format") not in ("date", "date-time")})
    assert unbounded == []


def test_text_over_its_limit_is_a_422_naming_the_field(api):
    client, tokens = api
    admin = auth(tokens["institution_admin"])
    for method, path, body, field in (
        ("PATCH", "/v1/debtors/d1", {"address": "路" * 501}, "address"),
        ("POST", "/v1/debtor-status", {"debtor": "d1", "status": "normal", "reason": "因" * 501}, "reason"),
        ("POST", "/v1/holds", {"id": "h1", "institution": "bank", "debt": "loan1", "reason": "dispute",
                               "note": "注" * 2001}, "note"),
        ("POST", "/v1/templates/t-voice/versions", {"text": "字" * 20_001}, "text"),
    ):
        r = client.request(method, path, json=body, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, (path, r.text)


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("POST", "/v1/trainings", {"collector": "bot1", "date": 0}, "date"),
    ("POST", "/v1/repayments", {"debt": "loan1", "amount": "1.00", "settled": 0}, "settled"),
    ("PATCH", "/v1/collectors/bot1", {"approved": 0}, "approved"),
    ("PATCH", "/v1/collectors/bot1", {"pre_job_exam": 0}, "pre_job_exam"),
    ("PATCH", "/v1/tools/tel", {"filed": "true"}, "filed"),
    ("PATCH", "/v1/placements/1", {"to": 20260630}, "to"),
    ("PATCH", "/v1/debts/loan1", {"overdue_since": "2026-03-01T00:00:00"}, "overdue_since"),
    ("POST", "/v1/attempts/x/outcome", {"connected": 1}, "connected"),
    ("PATCH", "/v1/debtor-agreements/1", {"voice_cap": True}, "voice_cap"),
    ("GET", "/v1/agreements?active_on=0", None, "active_on"),
    ("GET", "/v1/ledger?until=0.5", None, "until"),
])
def test_zero_is_never_a_date_a_flag_or_a_time(api, method, path, body, field):
    client, tokens = api
    r = client.request(method, path, json=body, headers=auth(tokens["institution_admin"]))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field, r.text


def test_a_retry_with_the_same_json_spelled_differently_gets_the_first_answer(api):
    client, tokens = api
    headers = auth(tokens["institution_admin"], **{"Idempotency-Key": "hold-1", "Content-Type": "application/json"})
    first = client.post("/v1/holds", content='{"id":"h1","institution":"bank","debt":"loan1","reason":"dispute"}',
                        headers=headers)
    assert first.status_code == 201, first.text
    respelled = '{\n  "reason": "dispute",  "debt": "loan1",\n  "institution": "bank", "id": "\\u0068\\u0031"\n}'
    retry = client.post("/v1/holds", content=respelled, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.text
    assert retry.json() == first.json()
    other = client.post("/v1/holds", json={"id": "h1", "institution": "bank", "debt": "loan1", "reason": "hardship"},
                        headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"


def _key_id(token: str) -> str:
    return token[len("cgk_"):].partition(".")[0]


def test_the_last_active_admin_key_of_an_institution_cannot_be_revoked(api, clock):
    client, tokens = api
    first = tokens["institution_admin"]
    r = client.delete(f"/v1/keys/{_key_id(first)}", headers=auth(first))
    assert r.status_code == 409 and r.json()["code"] == "last-admin-key" and r.json()["field"] == "key_id", r.text
    assert r.json()["message_zh"] and r.json()["message_en"]
    # a second admin key that expires within the hour does not count once it has expired
    soon = client.post("/v1/keys", json={"role": "institution_admin", "expires_at": "2026-05-20T11:00:00+08:00"},
                       headers=auth(first))
    assert soon.status_code == 201, soon.text
    clock.now = at("2026-05-20 11:30")
    assert client.delete(f"/v1/keys/{_key_id(first)}", headers=auth(first)).status_code == 409
    # with another live admin key, the first may go; then the other is the last
    second = client.post("/v1/keys", json={"role": "institution_admin"}, headers=auth(first)).json()["token"]
    assert client.delete(f"/v1/keys/{_key_id(first)}", headers=auth(second)).status_code == 200
    assert client.delete(f"/v1/keys/{_key_id(second)}", headers=auth(second)).status_code == 409
    assert client.get("/v1/keys", headers=auth(second)).status_code == 200
    # bank2's own admin is untouched by bank's
    assert client.get("/v1/keys", headers=auth(tokens["bank2_admin"])).status_code == 200


def test_every_status_a_route_answers_is_in_the_document(api):
    client, tokens = api
    document = client.get("/openapi.json").json()

    def documented(method: str, path: str) -> set[str]:
        return set(document["paths"][path][method]["responses"])

    for path, item in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404", "503"} <= codes, (method, path, codes)
            if operation.get("parameters") or operation.get("requestBody") or method == "post":
                assert "422" in codes, (method, path)
            if method != "get":
                assert "409" in codes, (method, path)
            for code in codes - {"200", "201"}:
                schema = operation["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
    # statuses these routes answer, each in its document
    admin = auth(tokens["institution_admin"])
    seen = [
        ("get", "/v1/holds", client.get("/v1/holds").status_code),  # 401
        ("get", "/v1/holds", client.get("/v1/holds", headers=auth(tokens["integration"])).status_code),  # 403
        ("delete", "/v1/keys/{key_id}",
         client.delete(f"/v1/keys/{_key_id(tokens['institution_admin'])}", headers=admin).status_code),  # 409
        ("post", "/v1/holds", client.post("/v1/holds", content="{", headers={**admin, "Content-Type":
                                                                              "application/json"}).status_code),
    ]
    for method, path, status in seen:
        assert status >= 400 and str(status) in documented(method, path), (method, path, status)


def test_a_method_a_path_does_not_serve_is_a_405_naming_every_method_it_does(api):
    client, tokens = api
    for path, allowed in (("/v1/debts", "GET, POST"), ("/v1/debts/loan1", "GET, PATCH"), ("/v1/keys", "GET, POST")):
        r = client.request("OPTIONS", path, headers=auth(tokens["institution_admin"]))
        assert r.status_code == 405 and r.headers["Allow"] == allowed, (path, r.headers.get("Allow"))


@pytest.mark.parametrize(("role", "may"), [("institution_admin", True), ("compliance_officer", True),
                                           ("integration", False), ("agency_operator", False)])
def test_only_a_role_with_debt_settle_may_settle_a_debt(api, role, may):
    client, tokens = api
    headers = auth(tokens[role])
    paid = client.post("/v1/repayments", json={"debt": "loan1", "amount": "10.00", "settled": False}, headers=headers)
    assert paid.status_code == 200, paid.text  # an amount received: any event writer
    settle = client.post("/v1/repayments", json={"debt": "loan1", "amount": "10.00", "settled": True}, headers=headers)
    assert settle.status_code == (200 if may else 403), settle.text
    if not may:
        assert "debt:settle" in settle.json()["message_en"]
    status = client.get("/v1/debts/loan1", headers=auth(tokens["institution_admin"])).json()["status"]
    assert status == ("settled" if may else "open")


@pytest.mark.parametrize(("role", "may"), [("institution_admin", True), ("compliance_officer", True),
                                           ("auditor", False), ("integration", False), ("agency_operator", False)])
def test_the_roles_that_place_a_debt_are_the_roles_that_change_the_placement(api, role, may):
    client, tokens = api
    headers = auth(tokens[role])
    created = client.post("/v1/placements", json={"debt": "loan3", "agency": "agA", "from": "2026-07-01",
                                                  "to": "2026-07-31"}, headers=headers)
    changed = client.patch("/v1/placements/1", json={"to": "2026-06-15"}, headers=headers)
    if may:
        assert (created.status_code, changed.status_code) == (200, 200), (created.text, changed.text)
    else:
        assert (created.status_code, changed.status_code) == (403, 403), (created.text, changed.text)

"""The gate's HTTP hot path: the pure-ASGI idempotency middleware under database failures, and the
in-process API key cache (revocation and expiry still bite, a wrong secret never passes)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event, text, update

from collectguard.api.models import IdempotencyRow
from collectguard.auth.cache import KeyCache, cache_for
from collectguard.auth.models import ApiKeyRow
from collectguard.db.store import Store
from tests.api.conftest import auth
from tests.factories import at

CALL = {"id": "h1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
DB_DOWN = {"code": "db-unavailable", "message_zh": "数据库暂不可用，请重试", "message_en": "database unavailable; retry",
           "field": None}


@contextmanager
def failing(store: Store, pattern: str, *, engines: str = "both") -> Iterator[None]:
    """Make every statement matching `pattern` fail in the driver, as a full disk or a dropped server does."""
    dbapi = store.engine.dialect.loaded_dbapi
    regex = re.compile(pattern, re.I | re.S)

    def fail(_conn, _cursor, statement, *_args):
        if regex.search(statement):
            raise dbapi.OperationalError("database or disk is full (injected)")

    targets = {store.engine, store.read_engine} if engines == "both" else {store.engine}
    for engine in targets:
        event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        for engine in targets:
            event.remove(engine, "before_cursor_execute", fail)


def _store(client: TestClient) -> Store:
    return client.app.state.store


def _rows(store: Store) -> list[tuple]:
    with store.read() as session:
        return [tuple(r) for r in session.execute(text("SELECT key, status FROM idempotency_keys"))]


def test_a_database_failure_in_the_middleware_is_a_503_and_leaves_nothing_behind(api):
    client, tokens = api
    store = _store(client)
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-down"})
    with failing(store, r"INSERT INTO idempotency_keys"):
        r = client.post("/v1/attempts", json=CALL, headers=headers)
    assert r.status_code == 503 and r.json() == DB_DOWN
    assert _rows(store) == []
    ok = client.post("/v1/attempts", json=CALL, headers=headers)  # the retry acts, once
    assert ok.status_code == 200 and ok.json()["attempt_id"] == "h1"
    again = client.post("/v1/attempts", json=CALL, headers=headers)
    assert again.json() == ok.json() and again.headers.get("Idempotent-Replayed") == "true"


def test_authentication_failing_on_the_database_is_a_503(api):
    client, tokens = api
    store = _store(client)
    cache_for(store.read_engine).forget()
    with failing(store, r"FROM api_keys"):
        r = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"], **{"Idempotency-Key": "k-auth"}))
    assert r.status_code == 503 and r.json() == DB_DOWN


def test_an_answer_that_cannot_be_stored_is_still_given_and_does_not_block_the_retry(api):
    client, tokens = api
    store = _store(client)
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-store"})
    with failing(store, r"UPDATE idempotency_keys"):
        first = client.post("/v1/attempts", json=CALL, headers=headers)
    assert first.status_code == 200 and first.json()["attempt_id"] == "h1"
    assert _rows(store) == []  # the in-progress row was deleted
    retry = client.post("/v1/attempts", json=CALL, headers=headers)
    assert retry.status_code == 200 and retry.json()["decision_id"] == first.json()["decision_id"]


def test_a_row_the_database_would_not_let_go_is_taken_over_by_the_next_retry(api):
    client, tokens = api
    store = _store(client)
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-stuck"})
    with failing(store, r"(UPDATE|DELETE FROM) idempotency_keys"):
        first = client.post("/v1/attempts", json=CALL, headers=headers)
    assert first.status_code == 200
    assert _rows(store) == [("k-stuck", None)]  # still in progress in the database ...
    retry = client.post("/v1/attempts", json=CALL, headers=headers)  # ... but not a 409 for 60 s
    assert retry.status_code == 200 and retry.json()["decision_id"] == first.json()["decision_id"]
    assert _rows(store) == [("k-stuck", 200)]


def test_a_crash_in_the_route_deletes_the_row_so_a_retry_acts_again(api, monkeypatch):
    client, tokens = api
    store = _store(client)
    gate = client.app.state.gate
    real = gate.decide
    monkeypatch.setattr(gate, "decide", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-crash"})
    with TestClient(client.app, raise_server_exceptions=False) as raw:
        assert raw.post("/v1/attempts", json=CALL, headers=headers).status_code == 500
    assert _rows(store) == []
    monkeypatch.setattr(gate, "decide", real)
    assert client.post("/v1/attempts", json=CALL, headers=headers).status_code == 200


def test_in_progress_is_a_409_until_it_goes_stale(api):
    client, tokens = api
    store = _store(client)
    key_id = tokens["integration"][4:].partition(".")[0]
    headers = auth(tokens["integration"], **{"Idempotency-Key": "k-busy"})
    first = client.post("/v1/attempts", json=CALL, headers=headers)
    with store.transaction() as session:  # as if a concurrent duplicate were being answered now
        session.execute(update(IdempotencyRow).where(IdempotencyRow.key == "k-busy")
                        .values(status=None, created_at=datetime.now(UTC)))
    busy = client.post("/v1/attempts", json=CALL, headers=headers)
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency-in-progress"
    assert busy.json()["field"] == "Idempotency-Key"
    with store.transaction() as session:  # its server died a minute ago
        session.execute(update(IdempotencyRow).where(IdempotencyRow.key_id == key_id)
                        .values(created_at=datetime.now(UTC) - timedelta(seconds=61)))
    taken = client.post("/v1/attempts", json=CALL, headers=headers)
    assert taken.status_code == 200 and taken.json()["decision_id"] == first.json()["decision_id"]


def test_no_header_or_a_get_passes_through_untouched(api):
    client, tokens = api
    r = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"]))
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert _rows(_store(client)) == []
    long_key = client.post("/v1/attempts", json=CALL, headers=auth(tokens["integration"], **{"Idempotency-Key": "k" * 201}))
    assert long_key.status_code == 422 and long_key.json()["field"] == "Idempotency-Key"


# -- the key cache ----------------------------------------------------------------------------------------

def test_a_cached_key_still_refuses_a_wrong_secret(api):
    client, tokens = api
    token = tokens["integration"]
    assert client.post("/v1/attempts", json=CALL, headers=auth(token)).status_code == 200  # now cached
    key_id, _, secret = token[4:].partition(".")
    assert cache_for(_store(client).read_engine).get(key_id) is not None
    for wrong in (f"cgk_{key_id}.{secret[:-1]}", f"cgk_{key_id}.", f"cgk_{key_id}.{secret}x"):
        r = client.post("/v1/attempts", json={**CALL, "id": "h2"}, headers=auth(wrong))
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_revocation_in_this_process_bites_at_once_even_through_another_store(api, db_url):
    client, tokens = api
    token = tokens["integration"]
    key_id = token[4:].partition(".")[0]
    assert client.post("/v1/attempts", json=CALL, headers=auth(token)).status_code == 200
    from collectguard.auth.service import revoke
    from collectguard.registry.service import Registry

    other = Store(db_url)
    try:
        with other.transaction() as session:
            revoke(Registry(session, at=at("2026-05-20 10:00")), key_id, "bank")
    finally:
        other.dispose()
    r = client.post("/v1/attempts", json={**CALL, "id": "h2"}, headers=auth(token))
    assert r.status_code == 401 and r.json()["message_en"] == "API key revoked"


def test_revocation_in_another_process_bites_within_the_ttl(api, monkeypatch):
    client, tokens = api
    store = _store(client)
    cache = cache_for(store.read_engine)
    monkeypatch.setattr(cache, "ttl_s", 0.3)
    token = tokens["integration"]
    key_id = token[4:].partition(".")[0]
    assert client.post("/v1/attempts", json=CALL, headers=auth(token)).status_code == 200
    with store.transaction() as session:  # as another server would: no revoke() in this process
        session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(revoked_at=datetime.now(UTC)))
    time.sleep(0.35)
    assert client.post("/v1/attempts", json={**CALL, "id": "h2"}, headers=auth(token)).status_code == 401


def test_expiry_bites_at_once_with_the_key_cached(api, clock):
    client, tokens = api
    r = client.post("/v1/keys", json={"role": "integration", "expires_at": "2026-05-20T10:30:00+08:00"},
                    headers=auth(tokens["institution_admin"]))
    token = r.json()["token"]
    assert client.post("/v1/attempts", json=CALL, headers=auth(token)).status_code == 200
    clock.now = at("2026-05-20 10:31")
    r = client.post("/v1/attempts", json={**CALL, "id": "h2"}, headers=auth(token))
    assert r.status_code == 401 and r.json()["message_en"] == "API key expired"


def test_a_lookup_that_raced_a_revocation_is_not_kept():
    cache = KeyCache(ttl_s=60)
    generation = cache.generation
    cache.forget("k1")  # a revocation committed while the lookup was reading
    cache.put("k1", object(), generation, time.monotonic())  # type: ignore[arg-type]
    assert cache.get("k1") is None
    cache.put("k1", object(), cache.generation, time.monotonic())  # type: ignore[arg-type]
    assert cache.get("k1") is not None


def test_a_zero_ttl_turns_the_cache_off():
    cache = KeyCache(ttl_s=0.0)
    cache.put("k1", object(), cache.generation, time.monotonic())  # type: ignore[arg-type]
    assert cache.get("k1") is None


# -- the gate routes' fast handlers -----------------------------------------------------------------------

def _scenario(client: TestClient, tokens: dict[str, str], run: str) -> list[tuple[int, object]]:
    """The gate routes' answers to good and bad requests, ids made run-neutral."""
    integration, agency = auth(tokens["integration"]), auth(tokens["agency_operator"])
    call = {**CALL, "id": f"{run}-1"}
    out: list[tuple[int, object]] = []

    def keep(r) -> None:
        text_ = r.text.replace(run, "RUN")
        try:
            body = json.loads(text_)
        except ValueError:
            body = text_
        if isinstance(body, dict):
            body.pop("decision_id", None)
        out.append((r.status_code, body))

    keep(client.post("/v1/attempts", json=call, headers=integration))  # the key gets cached here
    keep(client.post("/v1/attempts", json=call, headers=integration))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-2", "collector": "c1"}, headers=agency))
    keep(client.post("/v1/attempts", json={**call, "channel": "pigeon"}, headers=integration))
    keep(client.post("/v1/attempts", json={**call, "extra": 1}, headers=integration))
    keep(client.post("/v1/attempts", content=b'{"id": ', headers={**integration, "Content-Type": "application/json"}))
    keep(client.post("/v1/attempts", content=json.dumps(call).encode(), headers={**integration, "Content-Type": "text/plain"}))
    keep(client.post("/v1/attempts", content=json.dumps(call).encode(), headers=integration))  # no content type
    keep(client.post("/v1/attempts", headers=integration))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-3"}, headers=auth(tokens["auditor"])))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-4"}, headers=auth(tokens["bank2_admin"])))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-5", "debt": "loan3", "party": "d3", "collector": "c1"},
                     headers=agency))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-6", "party": "d2"}, headers=integration))
    outcome = {"connected": True, "duration_s": 30}
    keep(client.post(f"/v1/attempts/{run}-1/outcome", json=outcome, headers=agency))  # bank's own collector
    keep(client.post(f"/v1/attempts/{run}-1/outcome", json=outcome, headers=auth(tokens["bank2_admin"])))
    keep(client.post(f"/v1/attempts/{run}-1/outcome", json={**outcome, "duration_s": -1}, headers=integration))
    keep(client.post("/v1/attempts/bad%20id/outcome", json=outcome, headers=integration))
    keep(client.post(f"/v1/attempts/{run}-1/outcome", json=outcome, headers=integration))
    keep(client.post(f"/v1/attempts/{run}-1/outcome", json=outcome, headers=integration))
    keep(client.post(f"/v1/attempts/{run}-2/outcome", json={"connected": False}, headers=agency))
    keep(client.post(f"/v1/attempts/{run}-9/outcome", json=outcome, headers=integration))
    issued = client.post("/v1/keys", json={"role": "integration"}, headers=auth(tokens["institution_admin"])).json()
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-7"}, headers=auth(issued["token"])))
    client.delete(f"/v1/keys/{issued['key_id']}", headers=auth(tokens["institution_admin"]))
    keep(client.post("/v1/attempts", json={**call, "id": f"{run}-8"}, headers=auth(issued["token"])))
    return out


def _fresh(tmp_path, sqlite_template, name: str, clock):
    from collectguard.api.app import create_app
    from collectguard.auth.roles import Role
    from collectguard.auth.service import issue
    from collectguard.registry.service import Registry
    from tests.api.conftest import two_tenant_world

    target = tmp_path / f"{name}.db"
    target.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{target}"
    store = Store(url)
    with store.transaction() as session:
        registry = Registry(session, at=at("2026-05-01 09:00"))
        registry.load_world(two_tenant_world())
        tokens = {role.value: issue(registry, role=role, institution_id="bank",
                                    agency_id="agA" if role is Role.AGENCY_OPERATOR else None).token
                  for role in Role if role is not Role.AGENCY_ADMIN}
        tokens["bank2_admin"] = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank2").token
    store.dispose()
    return create_app(url, migrate=False, clock=clock), tokens


def test_the_fast_handlers_answer_exactly_as_fastapi_does(tmp_path, sqlite_template, monkeypatch, clock):
    from collectguard.api.routes import gate as routes

    served = {"fast": 0}
    fast = dict(routes._FAST)

    def counting(handler):
        async def wrapped(request):
            answer = await handler(request)
            served["fast"] += answer is not None
            return answer
        return wrapped

    answers = {}
    for run, handlers in (("std", {}), ("fst", {name: counting(h) for name, h in fast.items()})):
        monkeypatch.setattr(routes, "_FAST", handlers)  # read when an app builds its routes
        app, tokens = _fresh(tmp_path, sqlite_template, run, clock)
        with TestClient(app) as client:
            answers[run] = _scenario(client, tokens, run)
        app.state.store.dispose()
        if run == "std":
            assert served["fast"] == 0
    for n, (want, have) in enumerate(zip(answers["std"], answers["fst"], strict=True)):
        assert have == want, (n, want, have)
    assert served["fast"] >= 3  # the good requests went the short way (errors are raised, not counted)

"""The API over the two-tenant world, with a second agency (agB) that has a collector (cB), a debt placed with it
(loan3) and its own operator key; helpers to ask the gate and report outcomes at given times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import Clock, auth, two_tenant_world
from tests.factories import at

from collectguard.api.app import create_app
from collectguard.auth.roles import AGENCY_ROLES, Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.qa import storage
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry

CALL = {"collector": "c1", "debt": "loan1", "party": "d1", "channel": "voice", "mode": "notification",
        "tool": "tel", "template": "t-voice"}
B_CALL = {**CALL, "collector": "cB", "debt": "loan3", "party": "d3"}


def monitoring_world() -> s.World:
    w = two_tenant_world()
    return w.model_copy(update={
        "collectors": [*w.collectors, s.CollectorIn(id="cB", org="agB", kind="human", pre_job_exam=date(2026, 1, 5),
                                                    pledge_signed=True, last_training=date(2026, 1, 5))],
        "placements": [*w.placements, s.PlacementIn.model_validate(
            {"debt": "loan3", "agency": "agB", "from": "2026-05-01", "to": "2026-06-30"})],
    })


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str], clock: Clock) -> None:
        self.client, self.tokens, self.clock = client, tokens, clock

    def h(self, who: str) -> dict[str, str]:
        return auth(self.tokens[who])

    def ask(self, when: str, ident: str, *, b: bool = False, **kw: Any) -> dict[str, Any]:
        self.clock.now = at(when)
        r = self.client.post("/v1/attempts", json={**(B_CALL if b else CALL), "id": ident, **kw},
                             headers=self.h("integration"))
        assert r.status_code == 200, r.text
        return r.json()

    def report(self, when: str, ident: str, **body: Any) -> dict[str, Any]:
        self.clock.now = at(when)
        r = self.client.post(f"/v1/attempts/{ident}/outcome", json=body, headers=self.h("integration"))
        assert r.status_code == 200, r.text
        return r.json()

    def finding(self, attempt: str, call: str, *rules: tuple[str, str]) -> None:
        """QA findings (category, rule) on the call of an attempt."""
        findings = [{"category": c, "rule": r, "turn": 1, "start": 0.0, "end": 1.0, "evidence": "…",
                     "severity": "major"} for c, r in rules]
        with self.client.app.state.store.transaction() as session:  # type: ignore[attr-defined]
            storage.record(session, storage.Inspected(call_id=call, attempt_id=attempt, findings=findings),
                           at=datetime.now(UTC))

    def ledger(self, kind: str) -> list[dict[str, Any]]:
        r = self.client.get("/v1/ledger", params={"kind": kind}, headers=self.h("institution_admin"))
        assert r.status_code == 200, r.text
        return [json.loads(line) for line in r.text.splitlines() if line]


@pytest.fixture
def mon(db_url: str) -> Iterator[Api]:
    clock = Clock(at("2026-05-20 10:00"))
    store = Store(db_url)
    with store.transaction() as session:
        registry = Registry(session, at=at("2026-05-01 09:00"))
        registry.load_world(monitoring_world())
        tokens = {
            role.value: issue(registry, role=role, institution_id=None if role is Role.AGENCY_ADMIN else "bank",
                              agency_id="agA" if role in AGENCY_ROLES else None).token
            for role in Role
        }
        tokens["agB_operator"] = issue(registry, role=Role.AGENCY_OPERATOR, institution_id="bank",
                                       agency_id="agB").token
        tokens["bank2_admin"] = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank2").token
    store.dispose()
    app = create_app(db_url, migrate=False, clock=clock)
    with TestClient(app) as client:
        yield Api(client, tokens, clock)
    app.state.store.dispose()

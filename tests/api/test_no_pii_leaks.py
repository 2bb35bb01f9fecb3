"""A full demo run through the API: no unmasked phone or ID number in any response or log line (art. 19)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.demo.organisations import LENDER
from collectguard.demo.world import build_demo_world, load_demo, sample_attempts
from collectguard.registry.service import Registry
from tests.api.conftest import auth

DEBTORS = 150
MOBILE = re.compile(r"(?<![0-9A-Za-z])1\d{10}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def test_a_demo_run_leaks_no_phone_or_id_number(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    load_demo(url, debtors=DEBTORS)
    world = build_demo_world(debtors=DEBTORS)
    secrets = {d.phone for d in world.debtors if d.phone} | {d.id_number for d in world.debtors if d.id_number}
    secrets |= {c.phone for c in world.contacts if c.phone}
    assert len(secrets) > 2 * DEBTORS
    now = datetime(2026, 5, 13, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday afternoon
    store = Store(url)
    with store.transaction() as session:
        registry = Registry(session, at=now)
        keys = {role: issue(registry, role=role, institution_id=LENDER,
                            agency_id="qinghe" if role is Role.AGENCY_OPERATOR else None).token for role in Role}
    store.dispose()
    caplog.set_level(logging.DEBUG)
    app = create_app(url, migrate=False, clock=lambda: now)
    seen: list[str] = []
    with TestClient(app) as client:
        def get(path: str, role: Role = Role.AUDITOR) -> None:
            r = client.get(path, headers=auth(keys[role]))
            assert r.status_code == 200, (path, r.text)
            seen.append(r.text)

        for path in ("/v1/debtors?limit=500", "/v1/contacts?limit=500", "/v1/debts?limit=500", "/v1/placements?limit=500",
                     "/v1/collectors?limit=500", "/v1/templates", "/v1/holds", "/v1/ledger?limit=10000"):
            get(path)
        get("/v1/debtors?limit=500", Role.AGENCY_OPERATOR)
        get("/v1/debtors/d00005", Role.COMPLIANCE_OFFICER)
        for attempt in sample_attempts(world, 40, seed=3):
            r = client.post("/v1/attempts", json=attempt, headers=auth(keys[Role.INTEGRATION]))
            assert r.status_code in (200, 404), r.text
            seen.append(r.text)
            if r.status_code == 200 and r.json()["allowed"]:
                out = client.post(f"/v1/attempts/{attempt['id']}/outcome", json={"connected": True, "duration_s": 30},
                                  headers=auth(keys[Role.INTEGRATION]))
                seen.append(out.text)
        # A reveal shows the clear values to the one who asked, with a reason, and nowhere else.
        revealed = client.get("/v1/debtors/d00005?reveal=true&reason=核实还款人身份 verify identity",
                              headers=auth(keys[Role.COMPLIANCE_OFFICER]))
        assert revealed.status_code == 200 and MOBILE.search(revealed.text)
        get("/v1/ledger?kind=privacy:&limit=10000")
    app.state.store.dispose()
    logs = [record.getMessage() for record in caplog.records]
    haystack = "\n".join(seen + logs)
    assert len(haystack) > 50_000
    leaked = [s for s in secrets if s in haystack]
    assert not leaked, f"{len(leaked)} personal numbers leaked, e.g. {leaked[0][:3]}…"
    assert not MOBILE.search(haystack), MOBILE.search(haystack)
    assert not ID_NUMBER.search(haystack), ID_NUMBER.search(haystack)

"""A full demo run through the API: no unmasked phone or ID number in any response, ledger record or log line
(art. 19); the access log of a real server masks numbers however a URL carries them."""

from __future__ import annotations

import logging
import re
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.demo.organisations import LENDER
from collectguard.demo.world import build_demo_world, load_demo, sample_attempts
from collectguard.registry.service import Registry
from tests.api import test_live_server
from tests.api.conftest import auth

server = test_live_server.server  # the fixture: `collectguard serve` in a subprocess, its log in tmp_path

DEBTORS = 150
DAY = date(2026, 5, 1)  # the day the demo world is built for; `now` is 12 days after it
MOBILE = re.compile(r"(?<![0-9A-Za-z])1\d{10}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def test_a_demo_run_leaks_no_phone_or_id_number(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    load_demo(url, debtors=DEBTORS, start=DAY)
    world = build_demo_world(debtors=DEBTORS, start=DAY)
    secrets = {d.phone for d in world.debtors if d.phone} | {d.id_number for d in world.debtors if d.id_number}
    secrets |= {c.phone for c in world.contacts if c.phone}
    assert len(secrets) > 2 * DEBTORS
    now = datetime(2026, 5, 13, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday afternoon
    store = Store(url)
    with store.transaction() as session:
        registry = Registry(session, at=now)
        keys = {role: issue(registry, role=role, institution_id=LENDER,
                            agency_id="qinghe" if role is Role.AGENCY_OPERATOR else None).token
                for role in Role if role is not Role.AGENCY_ADMIN}
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
        for attempt in sample_attempts(world, 40, seed=3, start=DAY):
            r = client.post("/v1/attempts", json=attempt, headers=auth(keys[Role.INTEGRATION]))
            assert r.status_code in (200, 404), r.text
            seen.append(r.text)
            if r.status_code == 200 and r.json()["allowed"]:
                out = client.post(f"/v1/attempts/{attempt['id']}/outcome", json={"connected": True, "duration_s": 30},
                                  headers=auth(keys[Role.INTEGRATION]))
                seen.append(out.text)
        # A reveal shows the clear values to the one who asked, with a reason, and nowhere else — not even
        # when the note typed with it carries the debtor's numbers (it is masked before the ledger keeps it).
        d5 = next(d for d in world.debtors if d.id == "d00005")
        assert d5.phone and d5.id_number
        revealed = client.get("/v1/debtors/d00005", params={
            "reveal": "true", "reason": "repayment_verification",
            "note": f"来电{d5.phone[:3]} {d5.phone[3:7]} {d5.phone[7:]} 证件{d5.id_number}"},
            headers=auth(keys[Role.COMPLIANCE_OFFICER]))
        assert revealed.status_code == 200 and MOBILE.search(revealed.text)
        get("/v1/ledger?kind=privacy:&limit=10000")
        assert f"来电{d5.phone[:3]}****{d5.phone[7:]} 证件{d5.id_number[:3]}***********{d5.id_number[-4:]}" in seen[-1]
    app.state.store.dispose()
    # Every log line of the server side; "httpx" is this test's own client (TestClient), which logs the URLs
    # it asks for — the reveal's note among them — and is no part of the server.
    logs = [record.getMessage() for record in caplog.records if record.name != "httpx"]
    haystack = "\n".join(seen + logs)
    assert len(haystack) > 50_000
    leaked = [s for s in secrets if s in haystack]
    assert not leaked, f"{len(leaked)} personal numbers leaked, e.g. {leaked[0][:3]}…"
    assert not MOBILE.search(haystack), MOBILE.search(haystack)
    assert not ID_NUMBER.search(haystack), ID_NUMBER.search(haystack)


# How numbers reach a URL: a query string's `+` for a space, percent-escapes (%2B plus, %20 space, %2D dash,
# %40 at, the UTF-8 bytes of a Chinese character just before the number), or next to letters and `=`.
# The demo's synthetic numbers (10x prefixes) and the area-99 IDs are masked like any other.
LEAKY_PATHS = {
    "/healthz?phone=+10012345678": "10012345678",
    "/healthz?phone=%2B8610112345678": "10112345678",
    "/healthz?q=call%2010212345678": "10212345678",
    "/healthz?q=%E5%8F%B710312345678": "10312345678",
    "/healthz?q=104%2D1234%2D5678": "104%2D1234%2D5678",
    "/healthz?q=tel105+1234+5678end": "105+1234+5678",
    "/healthz?mobile=12812345678": "12812345678",
    "/healthz?id=990101199001011234": "990101199001011234",
    "/healthz?id=x99010119900101123Xy": "99010119900101123X",
    "/healthz?old=990101900101123": "990101900101123",
    "/healthz?mail=user123456%40example.com": "user123456",
    "/v1/debtors/10612345678": "10612345678",
}


def test_the_access_log_masks_numbers_in_urls(server, tmp_path):
    base, _ = server
    with httpx.Client(base_url=base, timeout=10) as client:
        for path in LEAKY_PATHS:
            assert client.get(path).status_code in (200, 401), path
    log = tmp_path / "server.log"
    deadline = time.monotonic() + 10
    while log.read_text(encoding="utf-8").count("/v1/debtors/") < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text(encoding="utf-8")
    access = [line for line in text.splitlines() if '"GET /healthz?' in line or '"GET /v1/debtors/' in line]
    assert len(access) == len(LEAKY_PATHS), text
    leaked = [raw for raw in LEAKY_PATHS.values() if raw in text]
    assert not leaked, leaked
    for masked in ("phone=+100****5678", "%20102****5678", "%E5%8F%B7103****5678", "tel105****5678end",
                   "id=990***********1234", "id=x990***********123Xy", "mail=u*********@example.com",
                   "/v1/debtors/106****5678"):
        assert masked in text, (masked, text)

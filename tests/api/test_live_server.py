"""A real server: `collectguard serve` in a subprocess on a free port over a SQLite file, asked over HTTP.

The world is laid around today (the server reads the wall clock) and the debtor's time zone is chosen so
that it is about noon there, so the call falls in allowed hours whenever the test runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.registry.service import Registry
from tests.factories import world

START_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _noon_zone(now: datetime) -> str:
    """An IANA zone where it is about noon now (Etc/GMT-h is UTC+h)."""
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _seed(url: str, now: datetime) -> str:
    """The factory world, its periods around today and its debtor at noon; returns an integration key."""
    today = now.date()
    w = world(
        debtors=[{"id": "d1", "name": "张三", "phone": "13800138000", "timezone": _noon_zone(now)}],
        agreements=[{"id": "ag1", "institution": "bank", "agency": "agA", "from": today - timedelta(days=60),
                     "to": today + timedelta(days=60)}],
        placements=[{"debt": "loan1", "agency": "agA", "from": today - timedelta(days=30),
                     "to": today + timedelta(days=30)}],
    )
    upgrade(url)
    store = Store(url)
    try:
        with store.transaction() as session:
            registry = Registry(session, at=now - timedelta(hours=1))
            registry.load_world(w)
            return issue(registry, role=Role.INTEGRATION, institution_id="bank", label="live-test").token
    finally:
        store.dispose()


def _command() -> list[str]:
    script = Path(sys.executable).with_name("collectguard")
    if script.exists():
        return [str(script)]
    found = shutil.which("collectguard")
    return [found] if found else [sys.executable, "-c", "from collectguard.cli import main; main()"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    token = _seed(url, datetime.now(UTC))
    port = _free_port()
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen([*_command(), "serve", "--db", url, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"no /healthz within {START_TIMEOUT_S} s:\n{log.read()}")
            time.sleep(0.2)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def test_a_real_server_answers_the_gate_and_takes_the_outcome(server):
    base, token = server
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["version"]
        call = {"id": "live-1", "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice",
                "mode": "notification", "tool": "tel", "template": "t-voice"}
        r = client.post("/v1/attempts", json=call)
        assert r.status_code == 200, r.text
        decision = r.json()
        assert decision["decision"] == "allow", decision["violations"]
        assert decision["attempt_id"] == "live-1" and decision["lease"]["rule"] == "art15-voice-cap"
        out = client.post("/v1/attempts/live-1/outcome", json={"connected": True, "duration_s": 42})
        assert out.status_code == 200 and out.json() == {"attempt_id": "live-1", "lease_state": "consumed",
                                                         "late": False, "consumed": True, "against_deny": False}
        again = client.post("/v1/attempts/live-1/outcome", json={"connected": True, "duration_s": 42})
        assert again.status_code == 200 and again.json() == out.json()  # a retry: the first answer, settled once
        other = client.post("/v1/attempts/live-1/outcome", json={"connected": False})
        assert other.status_code == 409 and other.json()["code"] == "outcome-already-recorded"
        read = client.get("/v1/attempts/live-1").json()
        assert read["decision_id"] == decision["decision_id"] and read["lease_state"] == "consumed"
        assert read["outcome"]["connected"] is True and read["outcome"]["against_deny"] is False
        assert client.get("/v1/debtors/d1").status_code == 403  # an integration has no registry access
        assert client.post("/v1/attempts", json=call, headers={"Authorization": "Bearer nope"}).status_code == 401
        docs = httpx.get(f"{base}/docs", timeout=10)
        assert docs.status_code == 200 and "https://" not in docs.text
        assert httpx.get(f"{base}/docs/assets/swagger-ui-bundle.js", timeout=10).status_code == 200

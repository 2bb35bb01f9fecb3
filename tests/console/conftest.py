"""A small demo world (300 debtors, a year of oversight history, two weeks of attempts decided by the gate) served with the
console, on SQLite and on PostgreSQL, and a signed-in client per demo user.

The world is built once per backend and test process; tests that change something build their own
(`fresh_console`). The app's clock stands at 15:00 Beijing time on the world's day (a Wednesday)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.config import Settings
from collectguard.db.store import Store
from collectguard.demo.organisations import HENGYUAN, LENDER, QINGHE
from collectguard.demo.users import DemoUser, demo_users
from collectguard.demo.world import SHANGHAI, load_demo, loaded_at
from collectguard.registry.unit import Units
from tests.conftest import ADMIN_URL, _pg_unavailable_reason

DAY = date(2026, 6, 10)
DEBTORS = 300
HISTORY_DAYS, HISTORY_PER_DAY = 14, 120  # the gate decides 10 weekdays of attempts before the day (demo/history.py)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Console:
    """An app over a demo world, its users (with passwords) and a way to sign each in."""

    url: str
    app: object
    clock: Clock
    users: dict[str, DemoUser]
    clients: dict[str, TestClient] = field(default_factory=dict)

    def client(self, username: str) -> TestClient:
        """A client signed in as `username` (once per world; the admin with a fresh one-time code)."""
        if username not in self.clients:
            self.clients[username] = self.sign_in(username)
        client = self.clients[username]
        for cookie in [c for c in client.cookies.jar if c.name == "cg_lang"]:  # each test starts in Chinese
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
        return client

    def anonymous(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]

    def sign_in(self, username: str, *, password: str | None = None) -> TestClient:
        user = self.users[username]
        client = self.anonymous()
        form = client.get("/console/sign-in")
        assert form.status_code == 200, form.text
        code = ""
        if user.totp_uri:
            self.clock.now += timedelta(seconds=30)  # a one-time code is used once: the next step's
            code = pyotp.parse_uri(user.totp_uri).at(self.clock.now)
        answer = client.post("/console/sign-in", data={
            "username": username, "password": password or user.password, "totp_code": code,
            "presign": client.cookies.get("cg_presign", path="/console") or "", "next": "/console/"},
            follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return client

    def csrf(self, client: TestClient) -> str:
        return client.cookies.get("cg_csrf", path="/console") or ""


def load_console(url: str) -> dict[str, DemoUser]:
    """The console's demo world and its users (with their passwords), loaded into the database at `url`."""
    load_demo(url, debtors=DEBTORS, start=DAY, history_days=HISTORY_DAYS, history_per_day=HISTORY_PER_DAY)
    store = Store(url)
    try:
        with Units(store, Settings().ledger_hash).write(loaded_at(DAY)) as unit:
            return {u.username: u for u in demo_users(unit, LENDER, QINGHE, HENGYUAN)}
    finally:
        store.dispose()


def serve_console(url: str, users: dict[str, DemoUser]) -> Console:
    clock = Clock(datetime.combine(DAY, datetime.min.time(), SHANGHAI).replace(hour=15))
    app = create_app(url, migrate=False, clock=clock, lease_sweep_s=0)
    return Console(url, app, clock, users)


def build_console(url: str) -> Console:
    return serve_console(url, load_console(url))


@pytest.fixture(scope="session")
def console_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, DemoUser]]:
    """The SQLite world built once per test process; each `fresh_console` starts from a copy of the file."""
    path = tmp_path_factory.mktemp("console-template") / "console.db"
    return path, load_console(f"sqlite:///{path}")


def _pg_database(name: str) -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Console]:
    """The shared, read-mostly console world on each backend. Do not change it in a test: use `fresh_console`."""
    yield from _console(request.param, tmp_path_factory.mktemp("console"), worker_id)


@pytest.fixture
def fresh_console(tmp_path: Path, console_template: tuple[Path, dict[str, DemoUser]]) -> Iterator[Console]:
    """A console world of the test's own on SQLite, to change: a copy of the template's file."""
    template, users = console_template
    target = tmp_path / "console.db"
    shutil.copyfile(template, target)
    for suffix in ("-wal", "-shm"):  # a write-ahead log not yet checkpointed into the file travels with it
        if template.with_name(template.name + suffix).exists():
            shutil.copyfile(template.with_name(template.name + suffix), target.with_name(target.name + suffix))
    built = serve_console(f"sqlite:///{target}", users)
    try:
        yield built
    finally:
        _close(built)


def _console(backend: str, folder: Path, worker_id: str) -> Iterator[Console]:
    name = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'console.db'}"
    else:
        reason = _pg_unavailable_reason()
        if reason is not None:
            import os
            if os.environ.get("CI"):
                pytest.fail(f"{reason}: CI must test PostgreSQL, so this fails instead of skipping")
            pytest.skip(f"{reason}; PostgreSQL tests skipped on this machine")
        name = f"cg_console_{worker_id}_{uuid.uuid4().hex[:8]}"
        url = _pg_database(name)
    built = build_console(url)
    try:
        yield built
    finally:
        _close(built)
        if name is not None:
            _drop_pg(name)


def _close(built: Console) -> None:
    for client in built.clients.values():
        client.close()
    built.app.state.store.dispose()  # type: ignore[attr-defined]

"""The demo is dated around the day it is built for (by default today), so that on any day its placements,
agreements and trainings are in force, and an agency key sees the debtors placed with it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from collectguard.api.app import create_app
from collectguard.cli import app as cli
from collectguard.demo.organisations import build_day
from collectguard.demo.world import build_demo_world
from collectguard.registry.schemas import World
from tests.api.conftest import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")
HORIZON = 30  # days after the world's day that its labelled attempts hold for


def _in_force(world: World, day: date) -> None:
    last = day + timedelta(days=HORIZON)
    assert all(a.from_ <= day and a.to >= last for a in world.agreements)
    current = [p for p in world.placements if p.from_ <= day <= p.to]
    assert current and all(p.to >= last for p in current)
    assert len({p.debt for p in current}) >= 0.5 * len(world.debts)
    qualified = [c for c in world.collectors if c.kind == "human" and c.pledge_signed and c.last_training
                 and (last - c.last_training).days <= 365]
    assert len(qualified) >= 30
    assert all(d.overdue_since is not None and d.overdue_since < day for d in world.debts)


def test_a_world_is_dated_around_the_day_it_is_built_for_and_deterministic_for_that_day():
    for day in (date(2026, 5, 1), date(2027, 2, 28), date(2030, 12, 31)):
        world = build_demo_world(seed=3, debtors=200, start=day)
        _in_force(world, day)
        assert world == build_demo_world(seed=3, debtors=200, start=day)
    assert build_demo_world(seed=3, debtors=50, start=date(2027, 2, 28)) != build_demo_world(
        seed=3, debtors=50, start=date(2027, 3, 1))


def test_by_default_the_world_is_dated_today_in_beijing():
    today = datetime.now(SHANGHAI).date()
    assert build_day() == today
    assert build_day(datetime(2026, 5, 31, 17, 0, tzinfo=ZoneInfo("UTC"))) == date(2026, 6, 1)
    _in_force(build_demo_world(seed=5, debtors=200), today)


def test_collectguard_demo_built_today_shows_an_agency_its_debtors_today(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo writes its example attempt beside it
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = CliRunner().invoke(cli, ["demo", "--db", url, "--debtors", "60", "--no-serve"])
    assert out.exit_code == 0, out.output
    assert f"dated around {build_day()}" in out.output
    tokens = dict(re.findall(r"^\s+(\w+)\s+(cgk_\S+)$", out.output, re.MULTILINE))
    app = create_app(url, migrate=False, lease_sweep_s=0)  # the real clock: today
    with TestClient(app) as client:
        agency = client.get("/v1/debtors", params={"limit": 500}, headers=auth(tokens["agency_operator"]))
        assert agency.status_code == 200, agency.text
        assert agency.json()["items"], "an agency key sees the debtors placed with it today"
    app.state.store.dispose()


def test_collectguard_demo_takes_the_day_to_date_it_around(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    out = CliRunner().invoke(cli, ["demo", "--db", url, "--debtors", "10", "--no-serve", "--day", "2027-02-28"])
    assert out.exit_code == 0, out.output
    assert "dated around 2027-02-28" in out.output
    bad = CliRunner().invoke(cli, ["demo", "--db", f"sqlite:///{tmp_path / 'other.db'}", "--no-serve", "--day", "28/2"])
    assert bad.exit_code == 2 and "--day" in bad.output

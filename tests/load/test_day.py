"""64 dialers over 1,000 debtors, connected outcomes, a simulated day: caps hold, nothing acknowledged is
missing from the ledger, and the chain verifies. The short form (SQLite) is a few hundred calls early in
the day; the long form covers the whole day, 08:00 to 22:00, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.load.harness import Driver, Workload, audit, copy_sqlite, prepare_world, verify_over_http

pytestmark = [pytest.mark.load, pytest.mark.xdist_group("load")]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_day_of_calls_keeps_every_cap_and_every_answer(backend, form, world, servers, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url, keys = copy_sqlite(world.template, tmp_path / "day.db"), world.keys
    else:
        if not form.long:
            pytest.skip("PostgreSQL for a whole day runs in the long form only (COLLECTGUARD_LOAD=long)")
        url = request.getfixturevalue("private_pg").create_database("cgday")
        keys = prepare_world(url, world.debtors)
    sim = form.sim()
    server = servers.new(f"day-{backend}", url, sim)
    server.start()
    workload = Workload(clients=form.clients, debtors=world.debtors, pairs=form.day_pairs, until=form.day_end)

    async def run() -> Driver:
        async with Driver(server.base, keys.integration) as driver:
            await driver.run(workload, "day", clock=sim.now)
            return driver

    driver = asyncio.run(run())
    print(f"load: {driver.summary()} (simulated {sim.start:%H:%M} → {sim.now():%H:%M})")
    driver.assert_clean()
    assert server.alive(), "the server died under load"
    assert driver.acked == len(driver.sent), f"unfinished pairs: {driver.summary()}"
    if form.day_pairs is not None:
        assert driver.acked == form.day_pairs
    else:  # the long form covers the day until quiet hours begin
        assert sim.now() >= form.day_end
    result = audit(url, driver)
    print(f"audit: {result}")
    assert result.attempts == len(driver.decisions) and result.max_per_day == 3
    assert verify_over_http(server.base, keys.auditor)["count"] == result.ledger_count

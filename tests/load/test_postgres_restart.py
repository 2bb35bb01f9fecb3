"""PostgreSQL goes down and comes back in the middle of the load (a private cluster, never the shared
one): clear 503 `db-unavailable` answers while it is down (no 500, no hang), full recovery after, nothing
lost, the chain verifies. Then a plain `pg_ctl restart` under the same load."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.load.harness import Driver, Workload, all_of, audit, prepare_world, verify_over_http

pytestmark = [pytest.mark.load, pytest.mark.postgres, pytest.mark.xdist_group("load")]

RECOVERY_GRACE_S = 5.0  # a request sent just before the restart may still answer 503 a little after


def test_postgres_restart_mid_load_gives_503s_then_recovers_with_nothing_lost(form, private_pg, servers) -> None:
    cluster = private_pg
    url = cluster.create_database("cgload")
    keys = prepare_world(url, form.pg_debtors)
    sim = form.sim()
    server = servers.new("pg", url, sim, extra_env={"SIM_IDEM_STALE_S": form.stale_s} if form.stale_s else None)
    server.start()
    workload = Workload(clients=form.clients, debtors=form.pg_debtors, pairs=None, seed=5)
    facts: dict[str, object] = {}
    times: dict[str, float] = {}

    async def run() -> Driver:
        async with Driver(server.base, keys.integration) as driver:
            load = asyncio.create_task(driver.run(workload, "pg", clock=sim.now, read_share=0.1))
            await driver.wait_acked(form.fault_at)
            await asyncio.to_thread(cluster.stop, "fast")
            times["down"] = time.monotonic()
            # Down until the dialers have clearly seen it (or 20 s: then the assertion below says so).
            facts["503_while_down"] = await driver.wait_unavailable(20, since=times["down"], timeout=20)
            await asyncio.to_thread(cluster.start)
            times["up"] = time.monotonic()
            facts["down_s"] = round(times["up"] - times["down"], 1)
            # The second fault: `pg_ctl restart` itself, a short outage under the same load.
            await driver.wait_acked(driver.acked + form.fault_after // 2)
            await asyncio.to_thread(cluster.restart, "fast")
            times["restarted"] = time.monotonic()
            await driver.finish_after(form.fault_after // 2)
            await load
            return driver

    driver = asyncio.run(run())
    late = [round(t - times["up"], 1) for t in driver.unavailable_at
            if times["up"] + RECOVERY_GRACE_S < t < times["restarted"] or t > times["restarted"] + RECOVERY_GRACE_S]
    print(f"postgres: {facts}; load: {driver.summary()}")

    def outage() -> None:
        assert int(facts["503_while_down"]) > 0, f"no 503 db-unavailable while PostgreSQL was down: {driver.summary()}"  # type: ignore[call-overload]
        assert not late, f"503s long after PostgreSQL came back (s after the first start): {late[:20]}"

    def finished() -> None:
        assert driver.acked == len(driver.sent) >= form.fault_at + form.fault_after, f"unfinished pairs: {driver.summary()}"

    results = all_of(outage=outage, dialers=driver.assert_clean, finished=finished,
                     audit=lambda: audit(url, driver), verify=lambda: verify_over_http(server.base, keys.auditor))
    print(f"audit: {results['audit']}")

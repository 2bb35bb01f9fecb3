"""`kill -9` of the server in the middle of the load, then a restart on the same database and timeline:
no acknowledged decision lost, no lease lost or doubled, the chain verifies, and dialers that retry with
the same `Idempotency-Key` get the first answer."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from tests.load.harness import Driver, Workload, all_of, audit, copy_sqlite, verify_over_http

pytestmark = [pytest.mark.load, pytest.mark.xdist_group("load")]


def test_kill_9_mid_load_then_restart_loses_nothing(form, world, servers, tmp_path: Path) -> None:
    url = copy_sqlite(world.template, tmp_path / "kill9.db")
    sim = form.sim()
    # A key left in progress by the crash is taken over after SIM_IDEM_STALE_S (the product: 60 s).
    server = servers.new("kill9", url, sim, extra_env={"SIM_IDEM_STALE_S": form.stale_s} if form.stale_s else None)
    server.start()
    workload = Workload(clients=form.clients, debtors=world.debtors, pairs=None, seed=99)
    facts: dict[str, object] = {}

    async def run() -> tuple[Driver, list[str]]:
        async with Driver(server.base, world.keys.integration) as driver:
            load = asyncio.create_task(driver.run(workload, "k9", clock=sim.now))
            await driver.wait_acked(form.fault_at)
            facts["in_flight_at_kill"] = driver.in_flight
            await asyncio.to_thread(server.kill9)
            down = time.monotonic()
            await asyncio.sleep(0.5)  # the dialers meet a dead server and keep retrying, like real ones
            await asyncio.to_thread(server.start)
            facts["down_s"] = round(time.monotonic() - down, 1)
            await driver.finish_after(form.fault_after)
            await load
            # Every request whose answer was lost in the crash was re-sent (same key, same attempt id) by
            # its dialer until answered. Now re-send those again, and a sample of the others: the first
            # answer each time; and ask again for decided attempts under new keys: the same decision.
            answered = [k for k in driver.bodies if k[2:] in (driver.decisions if k[0] == "a" else driver.outcomes)]
            rng = random.Random(7)
            sample = sorted(driver.unanswered | set(rng.sample(answered, min(len(answered), 30))))
            problems = await driver.replay(sample)
            crashed = sorted({k[2:] for k in driver.unanswered} & set(driver.decisions))
            problems += await driver.resend_attempts(sorted(set(crashed) | set(rng.sample(sorted(driver.decisions), 10))))
            return driver, problems

    driver, problems = asyncio.run(run())
    print(f"kill -9: {facts}; load: {driver.summary()}")

    def retries() -> None:
        assert not problems, "retries did not get the first answer:\n  " + "\n  ".join(problems[:20])

    def finished() -> None:
        assert driver.unanswered, f"the kill hit no request in flight ({facts}); the test proves nothing"
        assert driver.acked == len(driver.sent) >= form.fault_at + form.fault_after, f"unfinished pairs: {driver.summary()}"

    results = all_of(dialers=driver.assert_clean, retries=retries, finished=finished, audit=lambda: audit(url, driver),
                     verify=lambda: verify_over_http(server.base, world.keys.auditor))
    print(f"audit: {results['audit']}")


def _as_if_crashed_before_the_answer_was_stored(url: str, key: str) -> None:
    """Put an answered key back in the state a crash leaves between the action's commit and the storing of
    its answer: the action is done, the key is claimed, no answer is stored, and it is long stale."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from collectguard.api.models import IdempotencyRow
    from collectguard.db.store import Store

    store = Store(url)
    try:
        with store.transaction() as session:
            row = session.execute(select(IdempotencyRow).where(IdempotencyRow.key == key)).scalar_one()
            row.status, row.body = None, None
            row.created_at = datetime.now(UTC) - timedelta(hours=1)
    finally:
        store.dispose()


def test_a_retry_after_a_crash_between_commit_and_answer_gets_the_first_answer(form, world, servers, tmp_path: Path) -> None:
    """The window the kill above may or may not hit, made certain: the decision or outcome is committed,
    the process dies before its answer is stored under the Idempotency-Key, the dialer retries."""
    url = copy_sqlite(world.template, tmp_path / "window.db")
    sim = form.sim()
    server = servers.new("window", url, sim)
    server.start()
    pair = Workload(pairs=1, hot_debtors=1, hot_share=1.0).plan("window")
    p = next(pair)

    async def run() -> tuple[Driver, list[str]]:
        async with Driver(server.base, world.keys.integration) as driver:
            await driver.pair(p, read_back=False)
            assert driver.decisions[p.id]["allowed"] and p.id in driver.outcomes, driver.summary()
            # The crashed process is gone; this one takes the stale keys over as a restarted one would.
            for key in (f"a-{p.id}", f"o-{p.id}"):
                _as_if_crashed_before_the_answer_was_stored(url, key)
            driver.unanswered.update({f"a-{p.id}", f"o-{p.id}"})
            problems = []
            for key in (f"a-{p.id}", f"o-{p.id}"):
                first = driver.decisions[p.id] if key[0] == "a" else driver.outcomes[p.id]
                answer = await driver.post(driver.paths[key], key, driver.bodies[key])
                if answer is None or answer.status != 200 or answer.body != first:
                    got = None if answer is None else (answer.status, answer.body)
                    problems.append(f"{key}: the first answer was 200 {first}; the retry got {got}")
            return driver, problems

    driver, problems = asyncio.run(run())
    assert not problems, "a retry after the crash did not get the first answer:\n  " + "\n  ".join(problems)
    audit(url, driver, require_cap_reached=False)

"""A full or read-only disk under the SQLite file, in the middle of the load: clear 503 `db-unavailable`
answers to writes (no 500, no hang), reads keep working, no partial writes, and full recovery once space
is freed or the disk is writable again — without restarting the server.

Where mount(2) works (root), the database lives on a small tmpfs that is really filled up, or really
remounted read-only. Linux refuses to remount a file system read-only while a process holds files on it
open for writing (EBUSY), and SQLite holds its database, WAL and shared-memory files so; so the read-only
case stops the server with no request in flight, remounts, and starts it again on the read-only disk
under the same load, then remounts read-write under that running server. Where mount(2) is not
available (an unprivileged CI runner), the launcher's test hook makes the running server's SQLite
connections see a full (`max_page_count`) or read-only (`query_only`) database instead: SQLite then
answers with the very errors a full or read-only disk gives. Neither case is ever skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.load import disk
from tests.load.harness import Driver, Workload, all_of, audit, copy_sqlite, verify_over_http

pytestmark = [pytest.mark.load, pytest.mark.xdist_group("load")]

RECOVERY_GRACE_S = 5.0
DISK_MIB = 48


@pytest.fixture(scope="module")
def mount_reason() -> str | None:
    if os.environ.get("COLLECTGUARD_LOAD_DISK") == "hooks":  # to try the fallback where mount works
        return "COLLECTGUARD_LOAD_DISK=hooks"
    return disk.unavailable_reason()


@pytest.fixture
def small_disk(mount_reason: str | None, servers) -> Iterator[disk.Tmpfs | None]:  # type: ignore[no-untyped-def]
    """A tmpfs, or None where mount(2) is not available (the tests then use the SQLite hooks)."""
    if mount_reason is not None:
        print(f"no tmpfs ({mount_reason}): using the SQLite hooks of the launcher instead")
        yield None
        return
    fs = disk.Tmpfs(DISK_MIB)
    try:
        yield fs
    finally:
        servers.stop_all()  # nothing may hold the file system when it is unmounted
        fs.destroy()


def _setup(form, world, servers, tmp_path: Path, fs: disk.Tmpfs | None, name: str):  # type: ignore[no-untyped-def]
    url = copy_sqlite(world.template, (fs.dir if fs else tmp_path) / f"{name}.db")
    control = tmp_path / "sqlite-control.json"
    env = {"SIM_IDEM_STALE_S": form.stale_s} if form.stale_s else {}
    if fs is None:
        env["SIM_SQLITE_CONTROL"] = str(control)
    sim = form.sim()
    server = servers.new(name, url, sim, extra_env=env)
    server.start()
    workload = Workload(clients=form.clients, debtors=world.debtors, pairs=None, seed=len(name))
    return url, control, sim, server, workload


def _checks(form, world, url: str, server, driver: Driver, facts: dict[str, object], times: dict[str, float],
            read_problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    late = [round(t - times["fixed"], 1) for t in driver.unavailable_at if t > times["fixed"] + RECOVERY_GRACE_S]
    print(f"{server.name}: {facts}; load: {driver.summary()}")

    def fault() -> None:
        assert int(facts["503_during_fault"]) > 0, f"no 503 db-unavailable during the fault: {driver.summary()}"  # type: ignore[call-overload]
        assert not read_problems, "reads failed during the fault:\n  " + "\n  ".join(read_problems)
        assert not late, f"503s long after the disk was fixed (s after): {late[:20]}"

    def finished() -> None:
        assert driver.acked == len(driver.sent) >= form.fault_at + form.fault_after, f"unfinished pairs: {driver.summary()}"

    results = all_of(fault=fault, dialers=driver.assert_clean, finished=finished, audit=lambda: audit(url, driver),
                     verify=lambda: verify_over_http(server.base, world.keys.auditor))
    print(f"audit: {results['audit']}")


def test_a_full_disk_gives_503s_no_partial_writes_and_recovers(form, world, servers, tmp_path, small_disk) -> None:
    fs = small_disk
    url, control, sim, server, workload = _setup(form, world, servers, tmp_path, fs, "full")
    facts: dict[str, object] = {"how": "tmpfs filled up" if fs else "SQLite max_page_count (no mount here)"}
    times: dict[str, float] = {}
    read_problems: list[str] = []

    async def run() -> Driver:
        async with Driver(server.base, world.keys.integration) as driver:
            load = asyncio.create_task(driver.run(workload, "full", clock=sim.now))
            await driver.wait_acked(form.fault_at)
            if fs:
                facts["filler_bytes"] = await asyncio.to_thread(fs.fill)
            else:
                control.write_text(json.dumps({"max_page_count": 1}))
            times["fault"] = time.monotonic()
            # SQLite reuses the space its WAL already has, so writes fail once that is used up.
            facts["503_during_fault"] = await driver.wait_unavailable(20, since=times["fault"], timeout=45)
            read_problems.extend(await driver.read_back(5))
            if fs:
                fs.free()
            else:
                control.write_text("{}")
            times["fixed"] = time.monotonic()
            facts["full_s"] = round(times["fixed"] - times["fault"], 1)
            await driver.finish_after(form.fault_after)
            await load
            return driver

    driver = asyncio.run(run())
    _checks(form, world, url, server, driver, facts, times, read_problems)


def test_a_read_only_disk_gives_503s_no_partial_writes_and_recovers(form, world, servers, tmp_path, small_disk) -> None:
    fs = small_disk
    url, control, sim, server, workload = _setup(form, world, servers, tmp_path, fs, "readonly")
    facts: dict[str, object] = {"how": "tmpfs remounted ro/rw" if fs else "SQLite query_only (no mount here)"}
    times: dict[str, float] = {}
    read_problems: list[str] = []

    async def run() -> Driver:
        async with Driver(server.base, world.keys.integration) as driver:
            load = asyncio.create_task(driver.run(workload, "ro", clock=sim.now, read_share=0.1))
            await driver.wait_acked(form.fault_at)
            if fs:
                # EBUSY while the server holds its files open for writing: stop it with nothing in flight
                # (nothing is lost or half-done: the kill -9 test covers that), remount, start again.
                await driver.pause()
                await asyncio.to_thread(server.kill9)
                await asyncio.to_thread(fs.remount, read_only=True)
                await asyncio.to_thread(server.start)
                driver.resume()
            else:
                control.write_text(json.dumps({"query_only": True}))
            times["fault"] = time.monotonic()
            facts["503_during_fault"] = await driver.wait_unavailable(20, since=times["fault"], timeout=45)
            # On a read-only disk the store refuses every connection (a connection SQLite opens read-only
            # would keep the database read-only for the whole process), so reads may be 503 too.
            read_problems.extend(await driver.read_back(5, may_be_unavailable=True))
            if fs:
                await asyncio.to_thread(fs.remount, read_only=False)  # under the running server
            else:
                control.write_text("{}")
            times["fixed"] = time.monotonic()
            facts["read_only_s"] = round(times["fixed"] - times["fault"], 1)
            await driver.finish_after(form.fault_after)
            await load
            return driver

    driver = asyncio.run(run())
    _checks(form, world, url, server, driver, facts, times, read_problems)

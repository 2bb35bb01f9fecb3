"""Fixtures of the load and fault tests: the size of the run, the world, servers that are always stopped,
and their log tails in the report of a failing test.

Short form (default, part of the normal `pytest -n 2 --dist loadgroup` run): sized by a count of pairs.
Long form, on demand: `COLLECTGUARD_LOAD=long pytest tests/load -n 2 --dist loadgroup` (or
`pytest tests/load --load-long`): 64 dialers over 1,000 debtors for a whole simulated day (08:00–22:00
in Asia/Shanghai), and the faults under the same full load.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.load.harness import SIM_START, Keys, Server, SimTime, prepare_world
from tests.load.pgcluster import PrivateCluster, unavailable_reason

ENV_FORM = "COLLECTGUARD_LOAD"  # "long" for the long form
ENV_DAY_S = "COLLECTGUARD_LOAD_DAY_S"  # real seconds one simulated day (08:00–22:00) lasts in the long form
ENV_FAULT_PAIRS = "COLLECTGUARD_LOAD_FAULT_PAIRS"  # pairs (about) per fault test in the long form (default 3000)
DEBTORS = 1000


def pytest_addoption(parser: pytest.Parser) -> None:
    # Only seen when tests/load is named on the command line (pytest loads this conftest early then);
    # the environment variable works everywhere.
    parser.addoption("--load-long", action="store_true", default=False,
                     help="run the long form of the load tests (same as COLLECTGUARD_LOAD=long)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` send the load tests to one worker under pytest 9.2 as well.

    pytest-xdist 3.8 groups tests by renaming `item._nodeid` to `<nodeid>@<group>`; pytest 9.2 builds
    `nodeid` from `item._id` instead, so the rename is lost and loadgroup acts like load (every test
    anywhere, the tests/scenario group included). This restores the suffix, for the tests here only;
    the lock below keeps them from overlapping even where it cannot."""
    if not getattr(config.option, "loadgroup", False):  # set by xdist on its workers for --dist loadgroup
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest: xdist's own renaming works
        return
    here = Path(__file__).parent
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or not item.path.is_relative_to(here) or "@" in item.nodeid or not hasattr(item, "_id"):
            continue
        group = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
        item._id = NodeId.parse(f"{item.nodeid}@{group}")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def one_load_test_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An exclusive lock shared by all xdist workers of this run: load tests never overlap."""
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root  # the run's directory
    with (shared / "collectguard-load.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Form:
    """How big a run is. `day_pairs` None: the dialers go on until the simulated day ends (22:00)."""

    long: bool
    clients: int
    day_pairs: int | None
    fault_at: int  # fault tests: pairs acknowledged before the fault; the dialers go on through it
    fault_after: int  # ... and pairs acknowledged after the recovery, before they stop
    speed: float  # simulated seconds per real second
    stale_s: str | None  # SIM_IDEM_STALE_S for the servers (None: the product's 60 s)
    pg_debtors: int = 300  # the world loaded into the private PostgreSQL cluster

    @property
    def day_end(self) -> datetime | None:
        return SIM_START.replace(hour=22) if self.day_pairs is None else None

    def sim(self) -> SimTime:
        return SimTime(start=SIM_START, speed=self.speed)


@pytest.fixture(scope="session")
def form(request: pytest.FixtureRequest) -> Form:
    long = os.environ.get(ENV_FORM, "").lower() == "long" or bool(request.config.getoption("--load-long", False))
    if long:
        day_s = float(os.environ.get(ENV_DAY_S, "600"))
        fault_pairs = int(os.environ.get(ENV_FAULT_PAIRS, "3000"))
        return Form(long=True, clients=64, day_pairs=None, fault_at=fault_pairs // 2, fault_after=fault_pairs // 2,
                    speed=timedelta(hours=14).total_seconds() / day_s, stale_s=None, pg_debtors=DEBTORS)
    # The short form: a minute of simulated time per real second keeps the 10-minute lease alive for
    # 10 real seconds, longer than any answer takes under this load.
    return Form(long=False, clients=64, day_pairs=250, fault_at=30, fault_after=30, speed=60.0, stale_s="3")


@dataclass(frozen=True)
class World:
    template: Path  # a migrated SQLite file with the world and the keys, closed
    keys: Keys
    debtors: int


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The bench world with 1,000 debtors, built once (through the registry) and copied per test."""
    path = tmp_path_factory.mktemp("load-world") / "world.db"
    keys = prepare_world(f"sqlite:///{path}", DEBTORS)
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{path}{suffix}").exists(), "the template must be closed (checkpointed)"
    return World(path, keys, DEBTORS)


class Servers:
    """Every server a test starts; all stopped at teardown, their logs attached to a failure."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.all: list[Server] = []

    def new(self, name: str, db_url: str, sim: SimTime, **kwargs) -> Server:  # type: ignore[no-untyped-def]
        server = Server(name, db_url, sim, self.log_dir, **kwargs)
        self.all.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.all:
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - teardown goes on
                if server.alive():
                    server.proc.kill()  # type: ignore[union-attr]


SERVERS = pytest.StashKey[Servers]()


@pytest.fixture
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Servers]:
    group = Servers(tmp_path)
    request.node.stash[SERVERS] = group
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture
def private_pg(servers: Servers) -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster of this test's own, which it may stop and restart."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL load tests, so this fails instead of skipping")
        pytest.skip(f"{reason}; the PostgreSQL load tests are skipped on this machine")
    cluster = PrivateCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        servers.stop_all()  # before the database goes away under them
        cluster.destroy()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    group = item.stash.get(SERVERS, None)
    if group is not None and report.failed and call.when in ("setup", "call"):
        for server in group.all:
            report.sections.append((f"server {server.name} log (tail)", server.tail()))
    return report

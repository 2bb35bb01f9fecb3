"""One small demo world, built once and loaded once into a SQLite file for the whole demo suite.

The demo is dated around the day it is built for; these tests build it for a fixed day (DAY) and decide at
fixed times after it, so they do not depend on today's date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from collectguard.db.store import Store
from collectguard.demo.world import DemoSummary, build_demo_world, load_demo
from collectguard.registry.schemas import World

SMALL = 300
MEDIUM = 2_000
DAY = date(2026, 5, 1)  # the day the test worlds are built for (a Friday)


@pytest.fixture(scope="session")
def medium_world() -> World:
    return build_demo_world(seed=2026, debtors=MEDIUM, start=DAY)


@pytest.fixture(scope="session")
def small_world() -> World:
    return build_demo_world(seed=7, debtors=SMALL, start=DAY)


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return url, load_demo(url, seed=7, debtors=SMALL, start=DAY)


@pytest.fixture
def demo_store(loaded: tuple[str, DemoSummary]) -> Iterator[Store]:
    store = Store(loaded[0])
    yield store
    store.dispose()

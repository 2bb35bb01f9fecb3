"""One small demo world, built once and loaded once into a SQLite file for the whole demo suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collectguard.db.store import Store
from collectguard.demo.world import DemoSummary, build_demo_world, load_demo
from collectguard.registry.schemas import World

SMALL = 300
MEDIUM = 2_000


@pytest.fixture(scope="session")
def medium_world() -> World:
    return build_demo_world(seed=2026, debtors=MEDIUM)


@pytest.fixture(scope="session")
def small_world() -> World:
    return build_demo_world(seed=7, debtors=SMALL)


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return url, load_demo(url, seed=7, debtors=SMALL)


@pytest.fixture
def demo_store(loaded: tuple[str, DemoSummary]) -> Iterator[Store]:
    store = Store(loaded[0])
    yield store
    store.dispose()

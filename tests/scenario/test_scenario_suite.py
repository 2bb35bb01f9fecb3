"""The shipped examples and the project's own scenario files pass, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectguard.scenario.runner import FreshStores, collect, run_file
from tests.conftest import REPO, SHARED

FOLDERS = [SHARED / "scenarios" / "examples", REPO / "tests" / "scenarios"]
# Examples of landed features still waiting in shared/scenarios/next/ (they move into examples/ once landed).
LANDED = [SHARED / "scenarios" / "next" / "oversight-agency-lifecycle.yaml"]
FILES = [p for p in collect([str(f) for f in FOLDERS if f.exists()] + [str(f) for f in LANDED if f.exists()])
         if isinstance(p, Path)]


def test_there_are_enough_scenarios():
    own = [p for p in FILES if REPO in p.parents]
    assert len(own) >= 60, f"only {len(own)} scenario files in tests/scenarios"


@pytest.fixture(scope="module")
def sqlite_stores():
    stores = FreshStores()
    yield stores
    stores.close()


def _check(path: Path, stores: FreshStores) -> None:
    result = run_file(path, stores)
    assert result.error is None, result.error
    failed = [s.as_dict() for s in result.steps if not s.ok]
    assert not failed, failed
    assert result.steps, "a scenario must carry at least one expectation"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_on_sqlite(path, sqlite_stores):
    _check(path, sqlite_stores)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres-scenarios")
def test_every_scenario_on_postgresql(pg_url):
    stores = FreshStores(pg_url)
    try:
        for path in FILES:
            _check(path, stores)
    finally:
        stores.close()

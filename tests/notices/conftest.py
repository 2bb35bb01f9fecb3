"""Fixtures for stop notices: a built world, a settable clock, a local webhook receiver, the API app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from collectguard.db.store import Store
from collectguard.notices import service
from collectguard.notices.schemas import EndpointIn
from collectguard.registry.service import Registry
from tests.api.conftest import api, clock  # noqa: F401  (the API app fixture, re-exported)
from tests.factories import build
from tests.notices.receiver import Receiver

SECRET = "s3cret-for-tests-0123456789"
T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


class Tick:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
def world_store(store: Store) -> Store:
    build(store)
    return store


def set_endpoint(store: Store, url: str, *, agency: str = "agA", institution: str = "bank", at: datetime = T0,
                 secret: str = SECRET) -> None:
    with store.transaction() as session:
        service.set_endpoint(Registry(session, at=at), institution, agency, EndpointIn(url=url, secret=secret))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(SECRET)
    try:
        yield r
    finally:
        r.close()

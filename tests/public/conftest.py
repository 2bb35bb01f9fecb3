"""An app over a fresh database (SQLite and PostgreSQL) with a fixed clock, a bank whose name list holds agencies
with and without an agreement today, and the API keys the public-disclosure routes are tried with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from tests.api.conftest import Clock
from tests.factories import at

SCRIPT = "<script>alert('x')</script> & Co"


def agreement(ident: str, institution: str, agency: str, start: date, end: date, *,
              subcontracting: bool = False) -> s.AgreementIn:
    return s.AgreementIn.model_validate({"id": ident, "institution": institution, "agency": agency, "from": start,
                                         "to": end, "subcontracting": subcontracting})


def public_world() -> s.World:
    """bank lists: agA (agreement all year, subcontracting allowed), agB (ended 19 May), agC (starts 1 June), an
    agency named like a script tag (agreement all year), and agA-sub (an approved subcontractor of agA, no agreement
    of its own). bank2 lists agD only."""
    year = (date(2026, 1, 1), date(2026, 12, 31))
    return s.World.model_validate({
        "institutions": [{"id": "bank", "name": "示例银行"}, {"id": "bank2", "name": "另一家银行"}],
        "agencies": [
            {"id": "agA", "name": "甲催收", "listed_by": ["bank"]},
            {"id": "agB", "name": "乙催收", "listed_by": ["bank"]},
            {"id": "agC", "name": "丙催收", "listed_by": ["bank"]},
            {"id": "agX", "name": SCRIPT, "listed_by": ["bank"]},
            {"id": "agA-sub", "name": "甲催收外包", "parent": "agA", "listed_by": ["bank"], "approved_by": ["bank"]},
            {"id": "agD", "name": "丁催收", "listed_by": ["bank2"]},
        ],
        "agreements": [
            agreement("ag1", "bank", "agA", *year, subcontracting=True),
            agreement("ag2", "bank", "agB", date(2026, 1, 1), date(2026, 5, 19)),
            agreement("ag3", "bank", "agC", date(2026, 6, 1), date(2026, 12, 31)),
            agreement("ag4", "bank", "agX", *year),
            agreement("ag5", "bank2", "agD", *year),
        ],
    })


@dataclass
class Public:
    client: TestClient
    tokens: dict[str, str]
    clock: Clock
    db_url: str


@pytest.fixture
def public(db_url: str) -> Iterator[Public]:
    store = Store(db_url)
    with store.transaction() as session:
        registry = Registry(session, at=at("2026-05-01 09:00"))
        registry.load_world(public_world())
        tokens = {role.value: issue(registry, role=role, institution_id="bank").token
                  for role in (Role.INSTITUTION_ADMIN, Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.INTEGRATION)}
        tokens["agency_operator"] = issue(registry, role=Role.AGENCY_OPERATOR, institution_id="bank",
                                          agency_id="agA").token
        tokens["agA_admin"] = issue(registry, role=Role.AGENCY_ADMIN, institution_id=None, agency_id="agA").token
        tokens["agB_admin"] = issue(registry, role=Role.AGENCY_ADMIN, institution_id=None, agency_id="agB").token
        tokens["bank2_admin"] = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank2").token
    store.dispose()
    clock = Clock(at("2026-05-20 10:00"))
    app = create_app(db_url, migrate=False, clock=clock)
    with TestClient(app) as client:
        yield Public(client, tokens, clock, db_url)
    app.state.store.dispose()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

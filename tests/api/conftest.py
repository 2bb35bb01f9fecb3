"""An app over a fresh database with a fixed clock, and one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from collectguard.api.app import create_app
from collectguard.auth.roles import AGENCY_ROLES, Role
from collectguard.auth.service import issue
from collectguard.db.store import Store
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from tests.factories import at, world


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def two_tenant_world() -> s.World:
    """The factory world plus a second lender (bank2) that also uses agA, with its own debtor and debt."""
    w = world()
    return w.model_copy(update={
        "institutions": [*w.institutions, s.InstitutionIn(id="bank2", name="另一家银行")],
        "agencies": [s.AgencyIn(id="agA", name="甲催收", listed_by=["bank", "bank2"]),
                     s.AgencyIn(id="agB", name="乙催收", listed_by=["bank"])],
        "agreements": [*w.agreements, s.AgreementIn.model_validate(
            {"id": "ag2", "institution": "bank2", "agency": "agA", "from": "2026-01-01", "to": "2026-12-31"}),
            s.AgreementIn.model_validate(
            {"id": "ag3", "institution": "bank", "agency": "agB", "from": "2026-01-01", "to": "2026-12-31"})],
        "debtors": [*w.debtors, s.DebtorIn(id="d2", name="李四", phone="13900139000"),
                    s.DebtorIn(id="d3", name="王五")],
        "debts": [*w.debts, s.DebtIn(id="loan2", institution="bank2", debtor="d2", product="card"),
                  s.DebtIn(id="loan3", institution="bank", debtor="d3", product="card")],
    })


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2026-05-20 10:00"))


@pytest.fixture
def api(db_url: str, clock: Clock) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = Store(db_url)
    with store.transaction() as session:
        registry = Registry(session, at=at("2026-05-01 09:00"))
        registry.load_world(two_tenant_world())
        tokens = {
            role.value: issue(registry, role=role, institution_id=None if role is Role.AGENCY_ADMIN else "bank",
                              agency_id="agA" if role in AGENCY_ROLES else None).token
            for role in Role
        }
        tokens["bank2_admin"] = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank2").token
        tokens["bank2_agency"] = issue(registry, role=Role.AGENCY_OPERATOR, institution_id="bank2", agency_id="agA").token
    store.dispose()
    app = create_app(db_url, migrate=False, clock=clock)
    with TestClient(app) as client:
        yield client, tokens
    app.state.store.dispose()


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


ADMISSION_SCORES = {"licence": 90, "lawful_operation": 85, "going_concern": 80, "internal_control": 75,
                    "professional_capability": 80, "information_security": 85, "premises_equipment": 70,
                    "social_responsibility": 80, "reputation": 75}


def admit(client: TestClient, headers: dict[str, str], institution: str, agency: str) -> None:
    """What listing an agency needs (art. 17(一)(二)): a passed admission evaluation and the three commitments."""
    evaluation = client.post("/v1/agency-evaluations", headers=headers, json={
        "institution": institution, "agency": agency, "kind": "admission", "passed": True,
        "scores": ADMISSION_SCORES})
    assert evaluation.status_code == 201, evaluation.text
    commitments = client.post("/v1/agency-commitments", headers=headers, json={
        "institution": institution, "agency": agency,
        "items": ["no_subcontracting", "confidentiality", "accept_inspection"]})
    assert commitments.status_code == 201, commitments.text

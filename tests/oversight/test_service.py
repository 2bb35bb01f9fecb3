"""Oversight's services through `Events` (as a scenario or an import runs them), on SQLite and PostgreSQL: what the
scenario format cannot say — refusal codes beyond rule ids, orders tied to the inspected agency, the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.errors import CollectGuardError, Refused
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.oversight.schemas import (
    CommitmentsIn,
    EvaluationIn,
    InspectionIn,
    ListingIn,
    RectificationDoneIn,
    RectificationOrderIn,
)
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.service import Registry
from tests.api.conftest import ADMISSION_SCORES
from tests.factories import at

ITEMS = ["no_subcontracting", "confidentiality", "accept_inspection"]


@pytest.fixture
def events(store):
    with store.transaction() as session:
        Registry(session, at=at("2026-01-01 09:00")).load_world(s.World.model_validate({
            "institutions": [{"id": "bank", "since": "2025-06-01"}],
            "agencies": [{"id": "agA"}, {"id": "agB"}],
            "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": "2026-01-01",
                            "to": "2026-12-31"},
                           {"id": "ag2", "institution": "bank", "agency": "agB", "from": "2026-01-01",
                            "to": "2026-12-31"}],
        }))
    return Events(store)


def admit(events: Events, agency: str, when: str) -> None:
    events.agency_evaluation(EvaluationIn(id=f"ev-{agency}-{when[:10]}", institution="bank", agency=agency,
                                          kind="admission", passed=True, scores=ADMISSION_SCORES), at(when))
    events.agency_commitments(CommitmentsIn(institution="bank", agency=agency, items=ITEMS), at(when))


def test_a_terminated_agency_is_listed_again_only_after_a_new_admission(events, store):
    admit(events, "agA", "2026-01-02 09:00")
    events.agency_listing(ListingIn(institution="bank", agency="agA", listed=True), at("2026-01-02 10:00"))
    events.agency_status(AgencyStatusIn(institution="bank", agency="agA", status="terminated"), at("2026-02-01 09:00"))
    with pytest.raises(Refused) as refused:
        events.agency_listing(ListingIn(institution="bank", agency="agA", listed=True), at("2026-02-02 09:00"))
    assert set(refused.value.rules) == {"art17-agency-admission", "art17-commitments"}
    assert [d["article"] for d in refused.value.details or []] == ["17(一)", "17(二)"]
    admit(events, "agA", "2026-02-03 09:00")
    events.agency_listing(ListingIn(institution="bank", agency="agA", listed=True), at("2026-02-03 10:00"))
    with store.read() as session:
        kinds = list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == "agA")
                                     .order_by(LedgerRecord.seq)).scalars())
        assert verify(session).ok
    assert kinds.count("oversight:listing:listed") == 2 and "oversight:agency:terminated" in kinds


def test_an_order_answers_an_inspection_of_its_own_agency_only(events):
    events.inspection(InspectionIn(id="in1", institution="bank", kind="agency_scheduled", org="agB",
                                   findings=[{"rule": "art16-etiquette", "severity": "major"}]), at("2026-03-01 09:00"))
    with pytest.raises(CollectGuardError) as wrong:
        events.rectification_order(RectificationOrderIn(id="r1", institution="bank", agency="agA",
                                                        reason="consumer_harm", due="2026-03-20", inspection="in1",
                                                        finding=1), at("2026-03-02 09:00"))
    assert (wrong.value.status, wrong.value.field) == (422, "inspection")
    events.rectification_order(RectificationOrderIn(id="r1", institution="bank", agency="agB",
                                                    reason="consumer_harm", due="2026-03-20", inspection="in1",
                                                    finding=1), at("2026-03-02 09:00"))
    events.rectification_done(RectificationDoneIn(order="r1"), at("2026-03-05 09:00"))
    with pytest.raises(CollectGuardError) as again:
        events.rectification_done(RectificationDoneIn(order="r1"), at("2026-03-06 09:00"))
    assert again.value.code == "already-done"


def test_delisting_an_agency_that_is_not_listed_is_refused_and_changes_nothing(events, store):
    with store.read() as session:
        before = session.execute(select(LedgerRecord.seq).order_by(LedgerRecord.seq.desc())).scalars().first()
    with pytest.raises(CollectGuardError) as refused:
        events.agency_listing(ListingIn(institution="bank", agency="agA", listed=False), at("2026-01-05 09:00"))
    assert refused.value.code == "not-listed"
    with store.read() as session:
        assert session.execute(select(LedgerRecord.seq).order_by(LedgerRecord.seq.desc())).scalars().first() == before


def test_the_recorded_seed_is_the_one_the_sample_shows_even_with_leading_zeros(events, store):
    from collectguard.oversight.models import Inspection
    from collectguard.oversight.sampling import draw

    events.inspection(InspectionIn(id="in0", institution="bank", kind="agency_surprise", org="agA",
                                   period_from="2026-02-01", period_to="2026-02-28", sample_size=5,
                                   seed="000abc"), at("2026-03-01 09:00"))
    with store.read() as session:
        row = session.get(Inspection, "in0")
        assert row is not None and row.seed == "abc"
        sample = draw(session, institution_id="bank", org_id="agA", period_from=row.period_from,
                      period_to=row.period_to, size=5, seed=row.seed)
    assert sample.seed == row.seed

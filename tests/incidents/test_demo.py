"""The demo's incidents: recorded through the services in time order; at the world's load time one notice was
late, one major risk was reported on time, and two countdowns are running."""

from __future__ import annotations

import pytest

from collectguard.demo import incidents as demo
from collectguard.demo import organisations as orgs
from collectguard.incidents import repository as repo
from collectguard.incidents import service
from collectguard.oversight.calendar import obligations
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from tests.factories import at


@pytest.fixture
def loaded(store):
    with store.transaction() as session:
        Registry(session, at=at("2026-01-01 09:00")).load_world(s.World.model_validate({
            "institutions": [{"id": orgs.LENDER, "name": orgs.LENDER_NAME, "since": "2026-01-01"}],
            "agencies": [{"id": orgs.QINGHE, "listed_by": [orgs.LENDER]},
                         {"id": orgs.HENGYUAN, "listed_by": [orgs.LENDER]}],
            "agreements": [{"id": "a1", "institution": orgs.LENDER, "agency": orgs.QINGHE, "from": "2026-01-01",
                            "to": "2027-12-31"},
                           {"id": "a2", "institution": orgs.LENDER, "agency": orgs.HENGYUAN, "from": "2026-01-01",
                            "to": "2027-12-31"}]}))
    when = at("2026-12-03 08:00")
    assert demo.record(store, when) == 5
    return store, when


def test_the_demo_incidents_at_load_time(loaded):
    store, when = loaded
    with store.read() as session:
        rows = repo.incidents(session, orgs.LENDER)[0]
        seen = {o.id: o for o in service.views(session, rows, when)}
        items = {i.key: i.status for i in obligations(session, orgs.LENDER, when) if i.subject in seen}
    assert seen["inc-qinghe-phone-lost"].deadline.status == "met" and not seen["inc-qinghe-phone-lost"].deadline.late
    late = seen["inc-hengyuan-misdirected-mail"].deadline
    assert late.status == "met" and late.late and late.late_seconds == 6 * 3600
    assert seen["mr-anti-collection-wave"].status == "reported" and not seen["mr-anti-collection-wave"].deadline.late
    assert seen["mr-hengyuan-visit"].deadline.status == "due"
    assert seen["mr-hengyuan-visit"].deadline.remaining_seconds == 46 * 3600
    assert seen["inc-qinghe-laptop"].deadline.remaining_seconds == 18 * 3600
    assert items == {"art21-breach-24h:inc-qinghe-phone-lost": "met",
                     "art21-breach-24h:inc-hengyuan-misdirected-mail": "met",
                     "art24-major-risk-48h:mr-anti-collection-wave": "met",
                     "art24-major-risk-48h:mr-hengyuan-visit": "due", "art21-breach-24h:inc-qinghe-laptop": "due"}

"""The gate service on both backends: leases, outcomes, retries and events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectguard.debts.schemas import RepaymentIn
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.registry.events import Events
from collectguard.registry.schemas import PlacementIn
from tests.factories import at, build, voice_call

call = voice_call


@pytest.fixture
def gate(store):
    build(store)
    return Gate(store)


@pytest.fixture
def events(store):
    """What changes what the gate decides: its domains' events, one transaction each."""
    return Events(store)


def test_allowed_call_takes_a_lease_and_reports_quota(gate):
    d = gate.decide(call("a1"), at("2026-05-20 09:00"))
    assert d.allowed and d.decision == "allow"
    assert d.lease is not None and d.lease.rule == "art15-voice-cap"
    assert d.lease.expires_at == at("2026-05-20 09:10")
    assert d.quotas["art15-voice-cap"] == 2
    assert d.rulebook_version.startswith("nifa-2024@")


def test_in_flight_leases_block_the_cap_and_a_not_connected_outcome_releases_one(gate):
    for i in range(3):
        assert gate.decide(call(f"a{i}"), at("2026-05-20 09:00") + timedelta(seconds=i)).allowed
    denied = gate.decide(call("a3"), at("2026-05-20 09:01"))
    assert denied.failing_rules == ["art15-voice-cap"]
    assert denied.next_allowed_at == at("2026-05-21 08:00")
    out = gate.record_outcome(OutcomeIn(attempt="a0", connected=False), at("2026-05-20 09:02"))
    assert out.lease_state == "released" and not out.consumed
    assert gate.decide(call("a4"), at("2026-05-20 09:03")).allowed


def test_expired_lease_counts_as_consumed_until_a_late_outcome_settles_it(gate):
    for i in range(3):
        gate.decide(call(f"a{i}"), at("2026-05-20 09:00"))
    # 20 minutes later no outcome has arrived: the leases expired and still count (fail safe).
    later = gate.decide(call("a3"), at("2026-05-20 09:20"))
    assert later.failing_rules == ["art15-voice-cap"]
    out = gate.record_outcome(OutcomeIn(attempt="a1", connected=False), at("2026-05-20 09:30"))
    assert out.late and out.lease_state == "released"
    assert gate.decide(call("a4"), at("2026-05-20 09:31")).allowed


def test_a_retry_returns_the_first_answer_and_never_a_second_lease(gate):
    first = gate.decide(call("a1"), at("2026-05-20 09:00"))
    again = gate.decide(call("a1"), at("2026-05-20 09:00:05"))
    assert again == first
    assert gate.decide(call("a2"), at("2026-05-20 09:01")).quotas["art15-voice-cap"] == 1


def test_reusing_an_attempt_id_for_another_attempt_is_a_conflict(gate):
    gate.decide(call("a1"), at("2026-05-20 09:00"))
    with pytest.raises(Conflict) as err:
        gate.decide(call("a1", channel="sms", tool="sms", template="t-sms"), at("2026-05-20 09:01"))
    assert err.value.code == "attempt-id-reused"


def test_outcomes_are_recorded_once_and_never_before_their_attempt(gate):
    gate.decide(call("a1"), at("2026-05-20 09:00"))
    with pytest.raises(InvalidInput):
        gate.record_outcome(OutcomeIn(attempt="a1", connected=True), at("2026-05-20 08:59"))
    gate.record_outcome(OutcomeIn(attempt="a1", connected=True), at("2026-05-20 09:01"))
    with pytest.raises(Conflict):
        gate.record_outcome(OutcomeIn(attempt="a1", connected=False), at("2026-05-20 09:02"))
    with pytest.raises(NotFound):
        gate.record_outcome(OutcomeIn(attempt="nope", connected=False), at("2026-05-20 09:02"))


def test_unknown_references_are_clear_errors(gate):
    with pytest.raises(NotFound) as err:
        gate.decide(call("a1", debt="missing"), at("2026-05-20 09:00"))
    assert err.value.field == "debt"
    with pytest.raises(NotFound) as err:
        gate.decide(call("a2", party="ghost"), at("2026-05-20 09:00"))
    assert err.value.field == "party"


def test_naive_times_are_refused(gate):
    with pytest.raises(InvalidInput):
        gate.decide(call("a1"), at("2026-05-20 09:00").replace(tzinfo=None))


def test_settlement_stops_collection_at_once(gate, events):
    events.repayment(RepaymentIn(debt="loan1", amount="3200.00", settled=True), at("2026-05-20 10:00"))
    before = gate.decide(call("a0"), at("2026-05-20 09:59"))
    assert before.allowed  # attempts before settlement time are judged as of then
    after = gate.decide(call("a1"), at("2026-05-20 10:00"))
    assert after.failing_rules == ["art11-stop-after-repayment"]
    assert after.next_allowed_at is None


def test_overlapping_placement_is_refused_citing_single_agency(gate, events):
    with pytest.raises(Conflict) as err:
        events.placement(PlacementIn.model_validate({"debt": "loan1", "agency": "agA", "from": "2026-06-30", "to": "2026-07-31"}),
                       at("2026-05-20 09:00"))
    assert err.value.code == "art17-single-agency"
    ok = events.placement(PlacementIn.model_validate({"debt": "loan1", "agency": "agA", "from": "2026-07-01", "to": "2026-07-31"}),
                        at("2026-05-20 09:00"))
    assert ok.ledger_seq > 0


def test_a_hold_stops_every_agency_and_channel_until_released(gate, events, store):
    from sqlalchemy import select

    from collectguard.holds.schemas import HoldIn, HoldReleaseIn
    from collectguard.ledger.models import LedgerRecord

    hold = events.place_hold(
        HoldIn(id="h1", institution="bank", debt="loan1", reason="dispute", note="客户对金额有异议",
               starts_at=at("2026-05-20 08:00")),
        at("2026-05-20 12:00"),
    )
    assert hold.starts_at == at("2026-05-20 08:00")
    # A hold may start in the past: it already covers 09:00.
    d = gate.decide(call("a1"), at("2026-05-20 09:00"))
    assert d.failing_rules == ["hold-active"] and "dispute" in d.violations[0].message_en
    assert d.next_allowed_at is None
    sms = gate.decide(call("a2", collector="c1", channel="sms", tool="sms", template="t-sms"), at("2026-05-20 12:30"))
    assert sms.failing_rules == ["hold-active"]
    with store.transaction() as s:
        notices = s.execute(select(LedgerRecord.body).where(LedgerRecord.kind == "gate:stop-notice:queued")).scalars().all()
    assert len(notices) == 1 and '"agency":"agA"' in notices[0]
    events.release_hold(HoldReleaseIn(hold="h1", note="争议已解决"), at("2026-05-20 13:00"))
    assert gate.decide(call("a3"), at("2026-05-20 13:01")).allowed


def test_a_hold_on_the_debtor_covers_all_their_debts(gate, events):
    from collectguard.holds.schemas import HoldIn

    events.place_hold(HoldIn(id="h2", institution="bank", debtor="d1", reason="deceased"), at("2026-05-20 09:00"))
    d = gate.decide(call("a1"), at("2026-05-20 09:30"))
    assert d.failing_rules == ["hold-active"]
    with pytest.raises(Exception, match="exactly one"):
        HoldIn(id="h3", institution="bank", reason="hardship")


def test_template_approval_runs_the_review_checks_first(gate, events, store):
    from sqlalchemy import select

    from collectguard.ledger.models import LedgerRecord
    from collectguard.templates.schemas import TemplateApprovalIn, TemplateEditIn

    events.edit_template(TemplateEditIn(template="t-sms", text="你再不还钱，我们就派人上门找你家里人，后果自负！"),
                       at("2026-05-20 09:00"))
    with pytest.raises(Conflict) as err:
        events.template_approval(TemplateApprovalIn(template="t-sms", approved=True), at("2026-05-20 09:05"))
    assert err.value.code == "template-lint-failed"
    categories = {d["category"] for d in err.value.details}
    assert {"threat", "third-party-pressure"} & categories and "identity-not-stated" in categories
    # The version stays pending, so the gate still refuses it, and the refusal is in the ledger.
    d = gate.decide(call("a1", channel="sms", tool="sms", template="t-sms"), at("2026-05-20 10:00"))
    assert d.failing_rules == ["art15-template-approved"]
    with store.transaction() as s:
        kinds = s.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == "t-sms")).scalars().all()
    assert "template:version:lint-refused" in kinds
    events.edit_template(TemplateEditIn(template="t-sms", text="【示例银行】您的账单已逾期，请通过官方App或对公账户还款。"),
                       at("2026-05-20 10:05"))
    events.template_approval(TemplateApprovalIn(template="t-sms", approved=True), at("2026-05-20 10:06"))
    assert gate.decide(call("a2", channel="sms", tool="sms", template="t-sms"), at("2026-05-20 10:10")).allowed


def test_a_change_made_by_another_process_reaches_every_gate_at_once(store, db_url):
    """Each gate caches the registry; a change through another store (another worker or server) moves the
    registry version, so the very next decision everywhere sees it."""
    from collectguard.collectors.schemas import CollectorStatusIn
    from collectguard.db.store import Store
    from collectguard.templates.schemas import TemplateApprovalIn

    build(store)
    here = Gate(store)
    assert here.decide(call("a1"), at("2026-05-20 09:00")).allowed  # snapshot cached now
    other_store = Store(db_url, keyring=store.keyring)
    elsewhere = Events(other_store)
    elsewhere.collector_status(CollectorStatusIn(collector="bot1", status="suspended"), at("2026-05-20 09:01"))
    assert here.decide(call("a2"), at("2026-05-20 09:02")).failing_rules == ["art6-collector-qualified"]
    elsewhere.collector_status(CollectorStatusIn(collector="bot1", status="active"), at("2026-05-20 09:03"))
    elsewhere.template_approval(TemplateApprovalIn(template="t-voice", approved=False), at("2026-05-20 09:04"))
    assert here.decide(call("a3"), at("2026-05-20 09:05")).failing_rules == ["art15-template-approved"]
    other_store.dispose()

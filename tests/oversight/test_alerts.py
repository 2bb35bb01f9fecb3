"""Issue 11, item 5: overdue obligations and those due within N days go to the institution as signed webhooks
through the outbox, once per item and local day (the database's unique dedupe key), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.ledger.tags import Tag
from collectguard.notices import service, signing
from collectguard.notices.models import NO_ALERT_ENDPOINT, NoticeKind, NoticeStatus, OutboxRow
from collectguard.notices.outbox import enqueue
from collectguard.notices.schemas import EndpointIn
from collectguard.notices.sender import Outcome, Policy, Sender
from collectguard.oversight.alerts import AlertPass, dedupe_key, queue_alerts, send_alerts
from collectguard.registry.service import Registry
from collectguard.registry.unit import Unit, Units
from tests.factories import at, build
from tests.notices.conftest import SECRET, Tick, set_endpoint
from tests.notices.receiver import Receiver

ALERT_SECRET = "alert-secret-for-tests-0123456789"
AGENCY_URL = "https://agency.example/hooks/stop"
BANK_URL = "https://bank.example/hooks/obligations"
NOW = at("2026-05-20 10:00")  # Shanghai: 2026-05-20


@dataclass(frozen=True)
class Item:
    """The shape of the lead's calendar item (oversight.schemas.ObligationOut) as alerts read it."""

    obligation: str
    subject: str
    status: str
    due_date: date | None = None
    due_at: datetime | None = None
    title_zh: str = "年度评估催收机构"
    title_en: str = "Evaluate the agency every year"
    subject_kind: str = "agency"

    @property
    def key(self) -> str:
        return f"{self.obligation}:{self.subject}"


OVERDUE = Item("art-eval-annual", "agA", "overdue", due_date=date(2026, 5, 1))
DUE = Item("art-commitment", "agA", "due", due_date=date(2026, 6, 1))
MET = Item("art-training", "c1", "met", due_date=date(2026, 4, 1))
FAR = Item("art-disclosure", "bank", "due", due_date=date(2026, 12, 31))
ITEMS = [OVERDUE, DUE, MET, FAR]


@pytest.fixture
def world(store: Store) -> Store:
    build(store)
    return store


def queue(store: Store, when: datetime, items: list[Item] = ITEMS, *, within: int = 30,
          institution: str = "bank") -> int:
    with store.transaction() as session:
        return queue_alerts(Unit(session, at=when), institution, items, due_within_days=within)


def alerts(store: Store) -> list[OutboxRow]:
    with store.transaction() as session:
        return list(session.execute(select(OutboxRow).where(OutboxRow.kind == NoticeKind.OBLIGATION_ALERT)
                                    .order_by(OutboxRow.created_at, OutboxRow.dedupe_key)).scalars())


def payload(record: LedgerRecord) -> dict[str, Any]:
    return json.loads(record.body)["payload"]


def queued_records(store: Store) -> list[LedgerRecord]:
    with store.transaction() as session:
        return list(session.execute(select(LedgerRecord).where(LedgerRecord.kind == Tag.OBLIGATION_ALERT_QUEUED)
                                    .order_by(LedgerRecord.seq)).scalars())


def set_alert_endpoint(store: Store, url: str, *, when: datetime = NOW, active: bool = True,
                       secret: str = ALERT_SECRET) -> None:
    with store.transaction() as session:
        service.set_alert_endpoint(Registry(session, at=when), "bank", EndpointIn(url=url, secret=secret,
                                                                                  active=active))


def fake_calendar(items: list[Item], calls: list[tuple[str, datetime, int]] | None = None):
    def obligations(session: Any, institution_id: str, when: datetime, *, due_within_days: int = 30) -> list[Item]:
        if calls is not None:
            calls.append((institution_id, when, due_within_days))
        return items if institution_id == "bank" else []
    return obligations


def test_an_item_is_queued_once_a_day_however_many_passes_run(world):
    assert queue(world, NOW) == 2  # the overdue and the due item; never the met one, nor one due past 30 days
    for minutes in (1, 60, 13 * 60):  # 23:00 in Shanghai is still the same local day
        assert queue(world, NOW + timedelta(minutes=minutes)) == 0
    rows = alerts(world)
    assert sorted(r.dedupe_key for r in rows) == [  # type: ignore[type-var]
        "bank:art-commitment:agA:2026-05-20", "bank:art-eval-annual:agA:2026-05-20"]
    assert {(r.reason, r.agency_id, r.debt_id, r.status) for r in rows} == {
        ("overdue", None, None, NoticeStatus.PENDING), ("due", None, None, NoticeStatus.PENDING)}
    records = queued_records(world)
    assert [(r.subject, r.institution_id) for r in records] == [("art-eval-annual:agA", "bank"),
                                                                 ("art-commitment:agA", "bank")]
    assert payload(records[0])["notice"] in {r.id for r in rows}
    assert payload(records[0])["status"] == "overdue" and payload(records[0])["day"] == "2026-05-20"
    with world.transaction() as session:
        assert verify(session).ok


def test_the_next_local_day_queues_again_and_met_items_never(world):
    assert queue(world, NOW) == 2
    # 16:00 UTC on the 20th is 00:00 on the 21st in Shanghai: a new local day.
    assert queue(world, at("2026-05-21 00:00")) == 2
    assert queue(world, at("2026-05-21 23:59")) == 0
    days = sorted(r.dedupe_key.rsplit(":", 1)[1] for r in alerts(world))  # type: ignore[union-attr]
    assert days == ["2026-05-20", "2026-05-20", "2026-05-21", "2026-05-21"]
    assert not any("art-training" in (r.dedupe_key or "") for r in alerts(world))
    assert queue(world, at("2026-05-22 09:00"), [MET]) == 0


def test_due_within_days_bounds_what_is_due_and_overdue_is_always_sent(world):
    assert queue(world, NOW, within=5) == 1  # DUE is 12 days away
    assert [r.reason for r in alerts(world)] == ["overdue"]
    assert queue(world, NOW, within=12) == 1  # the due one joins the same day; the overdue one is not repeated
    due_at = Item("art-report", "bank", "due", due_at=at("2026-05-23 10:00"))  # a deadline instant: 3 × 24 h
    assert queue(world, NOW, [due_at], within=3) == 1
    assert queue(world, NOW, [dataclass_replace(due_at, obligation="art-report-2", due_at=at("2026-05-23 10:01"))],
                 within=3) == 0
    assert queue(world, NOW, [Item("art-undated", "bank", "due")], within=0) == 1  # no deadline: always


def dataclass_replace(item: Item, **changes: Any) -> Item:
    from dataclasses import replace
    return replace(item, **changes)


def test_the_day_is_the_institutions_local_day(store):
    """An institution in New York: 2026-05-20 10:00 in Shanghai is still the 19th there."""
    from collectguard.registry import schemas as s
    build(store, s.World(institutions=[s.InstitutionIn(id="bank", name="纽约分行", timezone="America/New_York")]))
    assert queue(store, NOW, [OVERDUE]) == 1
    assert queue(store, at("2026-05-20 11:59"), [OVERDUE]) == 0  # 23:59 on the 19th in New York (EDT)
    assert queue(store, at("2026-05-20 12:00"), [OVERDUE]) == 1  # midnight there: the 20th
    assert sorted(r.dedupe_key for r in alerts(store)) == [  # type: ignore[type-var]
        "bank:art-eval-annual:agA:2026-05-19", "bank:art-eval-annual:agA:2026-05-20"]


def test_the_key_is_institution_obligation_subject_and_local_day():
    assert dedupe_key("bank", OVERDUE, date(2026, 5, 20)) == "bank:art-eval-annual:agA:2026-05-20"


def test_send_alerts_runs_the_calendar_for_every_institution(world):
    calls: list[tuple[str, datetime, int]] = []
    units = Units(world, "sm3")
    assert send_alerts(units, NOW, 30, obligations=fake_calendar(ITEMS, calls)) == 2
    assert send_alerts(units, NOW + timedelta(hours=2), 30, obligations=fake_calendar(ITEMS)) == 0
    assert [c[0] for c in calls] == ["bank"] and calls[0][1:] == (NOW, 30)
    assert len(alerts(world)) == 2


def test_an_institution_that_fails_does_not_stop_the_others(world):
    with world.transaction() as session:
        Registry(session, at=NOW).load_world(_second_bank())

    def obligations(session: Any, institution_id: str, when: datetime, *, due_within_days: int = 30) -> list[Item]:
        if institution_id == "bank":
            raise RuntimeError("the calendar broke")
        return [OVERDUE]

    with pytest.raises(RuntimeError):
        send_alerts(Units(world, "sm3"), NOW, 30, obligations=obligations)
    assert [r.institution_id for r in alerts(world)] == ["bank0"]


def _second_bank():
    from collectguard.registry import schemas as s
    return s.World(institutions=[s.InstitutionIn(id="bank0", name="零银行")])


def test_concurrent_passes_queue_one_row(world):
    """Two transactions queue the same item at once: one row, neither fails (PostgreSQL: the second waits
    for the first's commit and inserts nothing; SQLite: one writer at a time)."""
    barrier = threading.Barrier(4)
    results: list[int | BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            results.append(queue(world, NOW, [OVERDUE]))
        except BaseException as exc:  # noqa: BLE001
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [0, 0, 0, 1], results  # type: ignore[type-var]
    assert len(alerts(world)) == 1 and len(queued_records(world)) == 1


def mock_sender(store: Store, tick: Tick, seen: list[httpx.Request], status: int = 204) -> Sender:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status)

    return Sender(store, client=httpx.Client(transport=httpx.MockTransport(handler)), clock=tick,
                  policy=Policy(), rng=random.Random(7))


def test_an_alert_goes_signed_to_the_institution_and_a_stop_notice_to_the_agency(world):
    tick = Tick(NOW)
    set_endpoint(world, AGENCY_URL, at=NOW)
    set_alert_endpoint(world, BANK_URL)
    with world.transaction() as session:
        stop = enqueue(session, institution_id="bank", agency_id="agA", debt_id="loan1", reason="settled",
                       payload={"agency": "agA", "reason": "settled"}, at=NOW)
    queue(world, NOW, [OVERDUE])
    (alert,) = alerts(world)
    seen: list[httpx.Request] = []
    outcomes = mock_sender(world, tick, seen).run_once()
    assert sorted(r.outcome for r in outcomes) == [Outcome.DELIVERED, Outcome.DELIVERED]
    by_url = {str(r.url): r for r in seen}
    assert set(by_url) == {AGENCY_URL, BANK_URL}
    to_bank, to_agency = by_url[BANK_URL], by_url[AGENCY_URL]
    assert to_bank.headers[signing.DELIVERY] == alert.id and to_agency.headers[signing.DELIVERY] == stop
    assert signing.verify(ALERT_SECRET, dict(to_bank.headers), to_bank.content, now=NOW.timestamp())
    assert not signing.verify(SECRET, dict(to_bank.headers), to_bank.content, now=NOW.timestamp())
    assert signing.verify(SECRET, dict(to_agency.headers), to_agency.content, now=NOW.timestamp())
    body = json.loads(to_bank.content)
    assert body["type"] == "obligation-alert" and body["id"] == alert.id and body["institution"] == "bank"
    assert (body["obligation"], body["subject"], body["status"], body["due_date"], body["day"]) == (
        "art-eval-annual", "agA", "overdue", "2026-05-01", "2026-05-20")
    assert body["key"] == "bank:art-eval-annual:agA:2026-05-20"
    assert "逾期" in body["message_zh"] and "overdue" in body["message_en"]
    stop_body = json.loads(to_agency.content)
    assert stop_body["type"] == "stop-notice" and stop_body["debt"] == "loan1"
    with world.transaction() as session:
        records = {r.subject: r for r in session.execute(
            select(LedgerRecord).where(LedgerRecord.kind == Tag.NOTICE_DELIVERED)).scalars()}
        assert payload(records[stop]) == {"agency": "agA", "debt": "loan1", "reason": "settled", "attempts": 1}
        assert payload(records[alert.id]) == {"kind": "obligation_alert", "key": alert.dedupe_key,
                                              "reason": "overdue", "attempts": 1}
        assert verify(session).ok
    tick.advance(7200)
    assert mock_sender(world, tick, seen).run_once() == []  # neither is sent again


def test_an_alert_waits_for_the_institution_endpoint_then_goes_at_once(world):
    tick = Tick(NOW)
    set_endpoint(world, AGENCY_URL, at=NOW)  # an agency's endpoint is not where alerts go
    queue(world, NOW, [OVERDUE])
    seen: list[httpx.Request] = []
    (result,) = mock_sender(world, tick, seen).run_once()
    assert result.outcome == Outcome.RETRY and result.error == NO_ALERT_ENDPOINT and seen == []
    set_alert_endpoint(world, BANK_URL, active=False)
    tick.advance(1)
    assert mock_sender(world, tick, seen).run_once() == []  # not yet due again; an inactive one frees nothing
    set_alert_endpoint(world, BANK_URL, when=tick.now)
    (result,) = mock_sender(world, tick, seen).run_once()
    assert result.outcome == Outcome.DELIVERED and [str(r.url) for r in seen] == [BANK_URL]
    with world.transaction() as session:
        kinds = list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == "bank")
                                     .order_by(LedgerRecord.seq)).scalars())
    assert kinds.count(Tag.ALERT_ENDPOINT_CREATED) == 1 and kinds.count(Tag.ALERT_ENDPOINT_CHANGED) == 1


def test_an_alert_is_delivered_over_http_with_a_valid_signature(world):
    receiver = Receiver(ALERT_SECRET)
    try:
        set_alert_endpoint(world, receiver.url)
        queue(world, NOW, [OVERDUE, DUE])
        sender = Sender(world, policy=Policy(timeout_s=5), rng=random.Random(1))  # the real clock: the receiver
        try:                                                                      # checks the timestamp
            outcomes = sender.run_once()
        finally:
            sender.close()
        assert [r.outcome for r in outcomes] == [Outcome.DELIVERED, Outcome.DELIVERED]
        receiver.wait_for(2)
        assert all(d.verified for d in receiver.deliveries)
        assert sorted(d.body["status"] for d in receiver.deliveries) == ["due", "overdue"]
        assert {d.id for d in receiver.deliveries} == {r.id for r in alerts(world)}
    finally:
        receiver.close()
    assert all(r.status == NoticeStatus.DELIVERED for r in alerts(world))


def test_the_alert_pass_queues_on_its_schedule_and_never_raises(world):
    units = Units(world, "sm3")
    broken = AlertPass(units, lambda: NOW, 3600, obligations=lambda *a, **k: 1 / 0)
    assert asyncio.run(broken.run()) == 0 and broken.passes == 0
    alert_pass = AlertPass(units, lambda: NOW, 0.05, obligations=fake_calendar(ITEMS))

    async def serve() -> None:
        async with alert_pass.during():
            assert alert_pass.running == 1
            for _ in range(200):
                if alert_pass.passes >= 2:
                    break
                await asyncio.sleep(0.02)
        assert alert_pass.running == 0

    asyncio.run(serve())
    assert alert_pass.passes >= 2 and alert_pass.queued == 2 and len(alerts(world)) == 2
    off = AlertPass(units, lambda: NOW, 0, obligations=fake_calendar(ITEMS))

    async def idle() -> None:
        async with off.during():
            assert off.running == 0

    asyncio.run(idle())


def test_a_count_of_stop_notices_is_unchanged_by_alerts(world):
    queue(world, NOW)
    with world.transaction() as session:
        enqueue(session, institution_id="bank", agency_id="agA", debt_id="loan1", reason="settled", at=NOW)
        kinds = dict(session.execute(select(OutboxRow.kind, func.count()).group_by(OutboxRow.kind)).all())
    assert kinds == {"stop_notice": 1, "obligation_alert": 2}


def test_the_real_calendar_is_alerted_once_a_day_as_the_pressing_calendar_lists_it(world):
    """The lead's calendar (oversight.calendar) end to end: what a pass queues is exactly what
    `collectguard obligations --due-within 30` lists (overdue, and due within 30 days), once a day."""
    from collectguard.oversight.calendar import calendar

    when = at("2026-12-15 10:00")  # the pre-expiry evaluation (by 30 November) is overdue, the yearly ones due
    with world.read() as session:
        pressing = calendar(session, "bank", when, due_within_days=30, pressing=True)
    expected = sorted(f"bank:{i.key}:2026-12-15" for i in pressing.items)
    assert pressing.counts["overdue"] >= 1 and len(expected) >= 2
    units = Units(world, "sm3")
    assert send_alerts(units, when, 30) == len(expected)
    assert send_alerts(units, when + timedelta(hours=3), 30) == 0
    assert sorted(r.dedupe_key for r in alerts(world)) == expected  # type: ignore[type-var]
    assert send_alerts(units, when + timedelta(days=1), 30, only=["bank"]) == len(expected)
    assert send_alerts(units, when + timedelta(days=2), 30, only=["nobody"]) == 0

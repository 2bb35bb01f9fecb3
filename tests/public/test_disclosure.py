"""`public.service.record_disclosure(unit, institution_id)`: the listing, termination and rectification services
call it in their unit of work; it records the full current public list in the ledger."""

from __future__ import annotations

import json

from sqlalchemy import select

from collectguard.agencies import service as agencies
from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.public import service
from collectguard.registry.unit import Units
from tests.factories import at
from tests.public.conftest import SCRIPT


def _lists(store: Store) -> list[LedgerRecord]:
    with store.read() as session:
        return list(session.execute(select(LedgerRecord).where(
            LedgerRecord.kind == "public:agency-list:changed").order_by(LedgerRecord.seq)).scalars())


def test_record_disclosure_records_the_full_current_list(public):
    store = Store(public.db_url)
    try:
        units = Units(store, "sm3")
        known = len(_lists(store))
        with units.write(at("2026-05-20 10:00")) as unit:
            seq = service.record_disclosure(unit, "bank")
        records = _lists(store)[known:]
        assert [r.seq for r in records] == [seq] and records[0].institution_id == "bank"
        payload = json.loads(records[0].body)["payload"]
        assert payload["as_of"] == "2026-05-20" and payload["zone"] == "Asia/Shanghai"
        assert [a["name"] for a in payload["agencies"]] == [SCRIPT, "甲催收", "甲催收外包"]
        assert payload["version"] == public.client.get("/public/bank/agencies.json").json()["version"]

        # a listing change and the disclosure in one unit: the recorded list is the one after the change
        with units.write(at("2026-05-20 11:00")) as unit:
            agencies.agency_status(unit, AgencyStatusIn(institution="bank", agency="agX", status="suspended"))
            service.record_disclosure(unit, "bank")
        last = json.loads(_lists(store)[-1].body)["payload"]
        assert [a["name"] for a in last["agencies"]] == ["甲催收", "甲催收外包"]
        body = public.client.get("/public/bank/agencies.json").json()
        assert body["version"] == last["version"] and body["ledger_seq"] == _lists(store)[-1].seq
        with store.read() as session:
            assert verify(session).ok
    finally:
        store.dispose()

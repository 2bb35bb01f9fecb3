"""A world with distinctive personal data pushed through the flows that store it (a gate attempt and its outcome,
a QA transcript naming the debtor, a hold with notes, a complaint with the complainant's details, a settlement,
a debtor registered over the API with an Idempotency-Key and read back masked), for the purge tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from collectguard.api.app import create_app
from collectguard.auth.roles import Role
from collectguard.auth.service import issue
from collectguard.complaints.schemas import ComplaintAssignIn, ComplaintIn, ComplaintResolvedIn
from collectguard.db.store import Store
from collectguard.debts.schemas import RepaymentIn
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.holds.schemas import HoldIn, HoldReleaseIn
from collectguard.qa import storage as qa
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.service import Registry
from tests.factories import at, voice_call, world

PURGED = {"name": "欧阳紫萱", "phone": "13912345678", "id_number": "44030619870203561X",
          "address": "深圳市南山区樱花路77号"}
CONTACT = {"name": "司马长风", "phone": "13698765432"}
COMPLAINANT = {"complainant_name": "上官飞燕", "complainant_phone": "13722223333",
               "complainant_email": "feiyan.shangguan@example.cn", "payment_account": "6222021234567890123"}
API_DEBTOR = {"name": "东方未明", "phone": "13633334444", "id_number": "110105199208086218",
              "address": "北京市海淀区紫竹院路9号"}
KEPT = {"name": "慕容雪晴", "phone": "13511112222", "id_number": "320102199501015555"}
NOTE = "欧阳紫萱住院，家属司马长风来电"
TRANSCRIPT = "欧阳紫萱女士您好，13912345678 是您的号码吗？司马长风说您在深圳市南山区樱花路77号"


def retention_world() -> s.World:
    base = world()
    return base.model_copy(update={
        "debtors": [s.DebtorIn(id="d1", **PURGED), s.DebtorIn(id="d2", **KEPT)],
        "contacts": [s.ContactIn(id="k1", debtor="d1", relation="friend", **CONTACT)],
        "debts": [s.DebtIn(id="loan1", institution="bank", debtor="d1", product="cash-loan", overdue_amount="3200.00"),
                  s.DebtIn(id="loan2", institution="bank", debtor="d2", product="card", overdue_amount="800.00")],
        "placements": [s.PlacementIn.model_validate({"debt": "loan1", "agency": "agA", "from": date(2026, 5, 1),
                                                     "to": date(2026, 6, 30)})],
        "staff": [s.StaffIn(id="s1", org="bank", role="compliance", name="合规 钱")],
    })


def secrets_of(store: Store, debtors: list[str]) -> dict[str, str]:
    """The encrypted tokens and keyed hashes of these debtors and their contacts as stored before a purge."""
    out: dict[str, str] = {}
    with store.read() as session:
        for d in session.execute(select(m.Debtor).where(m.Debtor.id.in_(debtors))).scalars():
            for f in ("name", "phone", "id_number", "address", "phone_index", "id_number_index"):
                if getattr(d, f):
                    out[f"{d.id}.{f}"] = getattr(d, f)
        for c in session.execute(select(m.Contact).where(m.Contact.debtor_id.in_(debtors))).scalars():
            for f in ("name", "phone", "phone_index"):
                if getattr(c, f):
                    out[f"{c.id}.{f}"] = getattr(c, f)
    return out


def live(db_url: str) -> dict[str, Any]:
    """Build the world and run the flows; returns the API debtor's id."""
    store = Store(db_url)
    try:
        with store.transaction() as session:
            registry = Registry(session, at=at("2026-05-01 09:00"))
            registry.load_world(retention_world())
            admin = issue(registry, role=Role.INSTITUTION_ADMIN, institution_id="bank").token
        gate = Gate(store)
        decision = gate.decide(voice_call("a1"), at("2026-05-20 10:00"))
        assert decision.decision == "allow", decision
        gate.record_outcome(OutcomeIn(attempt="a1", connected=True, duration_s=60), at("2026-05-20 10:02"))
        with store.transaction() as session:
            qa.record(session, qa.Inspected(
                call_id="call-1", attempt_id="a1", audience="debtor",
                findings=[{"category": "insult", "rule": "art16-etiquette", "turn": 0, "start": 0.0, "end": 3.0,
                           "evidence": "欧阳紫萱女士您好", "severity": "major"}],
                turns=[{"speaker": "agent", "start": 0.0, "end": 3.0, "text": TRANSCRIPT}]), at("2026-05-20 11:00"))
        events = Events(store)
        events.place_hold(HoldIn(id="h1", institution="bank", debtor="d1", reason="hardship", note=NOTE),
                          at("2026-05-21 09:00"))
        events.release_hold(HoldReleaseIn(hold="h1", note=NOTE), at("2026-05-22 09:00"))
        events.complaint(ComplaintIn(id="cp1", institution="bank", debtor="d1", channel="phone", **COMPLAINANT,
                                     text=f"{PURGED['name']}投诉：催收员骚扰 {CONTACT['phone']}"),
                         at("2026-05-22 10:00"))
        events.complaint_assign(ComplaintAssignIn(complaint="cp1", investigator="s1"), at("2026-05-22 11:00"))
        events.complaint_resolved(ComplaintResolvedIn(complaint="cp1", root_cause="art16-etiquette",
                                                      result="已致歉"), at("2026-05-23 10:00"))
        events.repayment(RepaymentIn(debt="loan1", amount="3200.00", settled=True), at("2026-05-25 10:00"))
    finally:
        store.dispose()

    app = create_app(db_url, migrate=False, clock=lambda: at("2026-05-26 10:00"))
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(app) as client:
        made = client.post("/v1/debtors", json=API_DEBTOR, headers={**headers, "Idempotency-Key": "reg-1"})
        assert made.status_code == 201, made.text
        api_debtor = made.json()["id"]
        debt = client.post("/v1/debts", json={"institution": "bank", "debtor": api_debtor, "product": "card",
                                              "status": "settled"}, headers=headers)
        assert debt.status_code == 201, debt.text
        assert client.get(f"/v1/debtors/{api_debtor}", headers=headers).status_code == 200
        assert client.get("/v1/debtors/d1", headers=headers).status_code == 200
    app.state.store.dispose()
    return {"api_debtor": api_debtor, "admin": admin}


def needles(secrets: dict[str, str]) -> dict[str, bytes]:
    """What must not survive, as bytes: the clear values (UTF-8), and the tokens and keyed hashes stored."""
    out = {f"clear:{k}": v.encode() for k, v in {**PURGED, **{f"contact.{k}": v for k, v in CONTACT.items()},
                                                   **COMPLAINANT, **{f"api.{k}": v for k, v in API_DEBTOR.items()}
                                                   }.items()}
    for k, v in secrets.items():
        out[f"stored:{k}"] = v.encode()
        if v.startswith("cg1."):  # the token's sealed part alone, in case a column keeps a different prefix
            out[f"sealed:{k}"] = v.rsplit(".", 1)[-1].encode()
    return out


"""A refusal follows the phone number (art8-contact-refused): within the institution whose debt is collected,
every contact registered with a refused contact's number is refused too; other institutions are not bound."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.debts.schemas import ContactRefusedIn, DebtorStatusIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.refusals import RefusedNumber
from tests.factories import at, build, voice_call, world

REFUSED = "art8-contact-refused"


def _world() -> s.World:
    """The factory world plus bank2, a second debtor d2 owing both banks, and contacts sharing one number."""
    w = world()
    return w.model_copy(update={
        "institutions": [*w.institutions, s.InstitutionIn(id="bank2", name="另一家银行")],
        "collectors": [*w.collectors, s.CollectorIn(id="bot2", org="bank2", kind="ai_agent", approved=True)],
        "tools": [*w.tools, s.ToolIn(id="tel2", institution="bank2", type="phone", official=True)],
        "debtors": [*w.debtors, s.DebtorIn(id="d2", name="李四")],
        "contacts": [
            s.ContactIn(id="k1", debtor="d1", relation="colleague", phone="10012345678"),
            s.ContactIn(id="k2", debtor="d2", relation="colleague", phone="+86 100-1234-5678"),
            s.ContactIn(id="k3", debtor="d2", relation="friend", phone="10087654321"),
            s.ContactIn(id="k4", debtor="d2", relation="sibling"),
        ],
        "debts": [*w.debts, s.DebtIn(id="loan2", institution="bank", debtor="d2", product="card"),
                  s.DebtIn(id="loan3", institution="bank2", debtor="d2", product="card")],
    })


def locate(ident: str, party: str, **kw: object):
    return voice_call(ident, party=party, mode="interactive", purpose="locate", recording=True, template=None, **kw)


def _ready(store: Store) -> Gate:
    build(store, _world())
    gate = Gate(store)
    for debtor in ("d1", "d2"):  # contacts may be asked only about a debtor who cannot be reached (art. 8(二))
        Events(store).debtor_status(DebtorStatusIn(debtor=debtor, status="unreachable"), at("2026-05-20 08:30"))
    return gate


def test_a_refusal_follows_the_number_to_another_debtors_contact_of_the_same_institution(store):
    gate = _ready(store)
    assert gate.decide(locate("a1", "k2", debt="loan2"), at("2026-05-20 09:00")).allowed
    Events(store).contact_refused(ContactRefusedIn(contact="k1"), at("2026-05-20 09:05"))
    after = gate.decide(locate("a2", "k2", debt="loan2"), at("2026-05-20 09:10"))
    assert after.failing_rules == [REFUSED] and after.next_allowed_at is None
    # another number of the same debtor, and a contact with no number, are not touched
    assert gate.decide(locate("a3", "k3", debt="loan2"), at("2026-05-20 09:15")).allowed
    assert gate.decide(locate("a4", "k4", debt="loan2"), at("2026-05-20 09:20")).allowed
    # bank2 was never refused: its own call to the same number is judged without the refusal
    other = gate.decide(locate("a5", "k2", debt="loan3", collector="bot2", tool="tel2"), at("2026-05-20 09:25"))
    assert REFUSED not in other.failing_rules and other.allowed


def test_the_refused_number_is_kept_per_institution_by_its_keyed_hash_never_in_clear(store):
    gate = _ready(store)
    Events(store).contact_refused(ContactRefusedIn(contact="k2"), at("2026-05-20 09:05"))  # d2 owes bank and bank2
    with store.transaction() as session:
        rows = session.execute(select(RefusedNumber).order_by(RefusedNumber.institution_id)).scalars().all()
        bodies = session.execute(select(LedgerRecord.body)).scalars().all()
    assert [(r.institution_id, r.contact_id) for r in rows] == [("bank", "k2"), ("bank2", "k2")]
    assert len(rows[0].phone_index) == 64 and rows[0].at == at("2026-05-20 09:05")
    assert not any(rows[0].phone_index in body or "12345678" in body for body in bodies)
    # k1, d1's contact with the same number, is refused for bank now
    assert gate.decide(locate("a1", "k1"), at("2026-05-20 09:10")).failing_rules == [REFUSED]


def test_a_refusal_recorded_by_one_institution_binds_that_institution_only(store):
    gate = _ready(store)
    Events(store).contact_refused(ContactRefusedIn(contact="k2"), at("2026-05-20 09:05"), institution="bank2")
    assert gate.decide(locate("a1", "k1"), at("2026-05-20 09:10")).allowed  # bank, same number, other contact
    refused = gate.decide(locate("a2", "k2", debt="loan3", collector="bot2", tool="tel2"), at("2026-05-20 09:15"))
    assert refused.failing_rules == [REFUSED]


def test_a_contact_without_a_number_refuses_only_itself(store):
    gate = _ready(store)
    Events(store).contact_refused(ContactRefusedIn(contact="k4"), at("2026-05-20 09:05"))
    with store.transaction() as session:
        assert session.execute(select(RefusedNumber)).first() is None
    assert gate.decide(locate("a1", "k4", debt="loan2"), at("2026-05-20 09:10")).failing_rules == [REFUSED]
    assert gate.decide(locate("a2", "k2", debt="loan2"), at("2026-05-20 09:15")).allowed


def test_the_migration_remembers_the_numbers_of_contacts_refused_before_it(tmp_path, store):
    """Revision 0011 fills the table from contacts already refused, for the institutions their debtors concern."""
    build(store, _world())  # only to get a phone index made with the test keyring
    with store.transaction() as session:
        index = session.execute(sa.text("SELECT phone_index FROM contacts WHERE id = 'k1'")).scalar_one()
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO institutions (id, profile, policy) VALUES ('bank', 'nifa-2024', '{}'), "
                             "('bank2', 'nifa-2024', '{}')"))
        conn.execute(sa.text("INSERT INTO debtors (id, timezone, status) VALUES ('d1', 'Asia/Shanghai', 'normal'), "
                             "('d2', 'Asia/Shanghai', 'normal')"))
        conn.execute(sa.text("INSERT INTO contacts (id, debtor_id, phone_index, refused, refused_at, offers_to_repay) "
                             "VALUES ('k1', 'd1', :i, 1, '2026-05-19 01:00:00.000000', 0), "
                             "('k2', 'd2', :i, 0, NULL, 0)"), {"i": index})
        conn.execute(sa.text("INSERT INTO debts (id, institution_id, debtor_id, product, status, repaid_total) "
                             "VALUES ('loan1', 'bank', 'd1', 'cash', 'open', 0), "
                             "('loan9', 'bank2', 'd2', 'card', 'open', 0)"))
    engine.dispose()
    upgrade(url)
    old = Store(url, keyring=store.keyring)
    with old.transaction() as session:
        rows = session.execute(select(RefusedNumber)).scalars().all()
    old.dispose()
    assert [(r.institution_id, r.contact_id, r.phone_index) for r in rows] == [("bank", "k1", index)]
    assert rows[0].at == at("2026-05-19 09:00")

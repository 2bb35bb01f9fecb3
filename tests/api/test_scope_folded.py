"""The gate routes' one-statement scope checks (scope.ask, scope.attempt_visible) give exactly the answers of
the step-by-step checks (debts.repository.debt, collectors.repository.usable, debts.repository.attempt_party;
scope.attempt), for every kind of caller, tenant, agency and subcontractor, party, and time of day around the
debtor's midnight."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from collectguard.api import scope
from collectguard.auth.roles import Principal, Role
from collectguard.collectors import repository as collectors
from collectguard.debts import repository as debts
from collectguard.errors import CollectGuardError
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from tests.factories import build, world

DAY = date(2026, 5, 20)


def folded_world():
    w = world().model_dump(by_alias=True)
    return world(**{
        "agencies": [{"id": "agA", "name": "甲", "listed_by": ["bank", "bank2"]},
                     {"id": "agB", "name": "乙", "listed_by": ["bank"]},
                     {"id": "subA", "name": "甲的分包", "parent": "agA", "approved_by": ["bank"]}],
        "institutions": [*w["institutions"], {"id": "bank2", "name": "另一家银行"}],
        "collectors": [*w["collectors"],
                       {"id": "cs", "org": "subA", "kind": "human"}, {"id": "cB", "org": "agB", "kind": "human"},
                       {"id": "c2", "org": "bank2", "kind": "human"}],
        "debtors": [*w["debtors"], {"id": "g1", "name": "保证人"}, {"id": "d2", "name": "李四"},
                    {"id": "d3", "name": "王五"}, {"id": "ds", "name": "旁人"},
                    {"id": "dz1", "name": "东", "timezone": "Pacific/Kiritimati"},
                    {"id": "dz2", "name": "西", "timezone": "Pacific/Pago_Pago"}],
        "contacts": [*w["contacts"], {"id": "kg", "debtor": "g1", "relation": "colleague"},
                     {"id": "k2", "debtor": "d2", "relation": "colleague"},
                     {"id": "k3", "debtor": "d3", "relation": "colleague"}],
        "debts": [{"id": "loan1", "institution": "bank", "debtor": "d1", "product": "cash-loan", "guarantors": ["g1"]},
                  {"id": "loan2", "institution": "bank2", "debtor": "d2", "product": "card"},
                  {"id": "loan3", "institution": "bank", "debtor": "d3", "product": "card"},
                  {"id": "loanz1", "institution": "bank", "debtor": "dz1", "product": "card"},
                  {"id": "loanz2", "institution": "bank", "debtor": "dz2", "product": "card"}],
        "placements": [{"debt": "loan1", "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)},
                       {"debt": "loan2", "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)},
                       {"debt": "loan3", "agency": "agB", "from": date(2026, 5, 1), "to": date(2026, 6, 30)},
                       {"debt": "loanz1", "agency": "agA", "from": DAY, "to": DAY},
                       {"debt": "loanz2", "agency": "agA", "from": DAY, "to": DAY}],
    })


PRINCIPALS = [
    Principal("k-admin", Role.INSTITUTION_ADMIN, "bank"),
    Principal("k-int", Role.INTEGRATION, "bank"),
    Principal("k-opA", Role.AGENCY_OPERATOR, "bank", "agA"),
    Principal("k-opSub", Role.AGENCY_OPERATOR, "bank", "subA"),
    Principal("k-opB", Role.AGENCY_OPERATOR, "bank", "agB"),
    Principal("k-intA", Role.INTEGRATION, "bank", "agA"),
    Principal("k-admin2", Role.INSTITUTION_ADMIN, "bank2"),
    Principal("k-op2", Role.AGENCY_OPERATOR, "bank2", "agA"),
]
DEBTS = ["loan1", "loan2", "loan3", "loanz1", "loanz2", "nope"]
COLLECTORS = ["bot1", "c1", "cs", "cB", "c2", "nope"]
PARTIES = ["d1", "g1", "k1", "kg", "d2", "k2", "d3", "k3", "ds", "dz1", "nope"]
# around midnight in Kiritimati (UTC+14), Shanghai (UTC+8) and Pago Pago (UTC-11)
TIMES = [datetime(2026, 5, d, h, 30, tzinfo=UTC) for d, h in ((19, 9), (19, 10), (19, 15), (19, 16), (20, 9), (20, 10),
                                                                (20, 15), (20, 16), (21, 10), (21, 12))]


def _answer(fn) -> tuple[str, str, str | None, str] | None:
    try:
        fn()
    except CollectGuardError as exc:
        return type(exc).__name__, exc.code, exc.field, exc.message_en
    return None


def _stepwise(store, p, debt_id, collector_id, party_id, at):
    with store.read() as session:
        debt = debts.debt(session, p, debt_id, at)
        collectors.usable(session, p, collector_id)
        debts.attempt_party(session, p, debt, party_id, at)


def test_ask_in_one_statement_answers_as_the_stepwise_checks(store):
    build(store, folded_world())
    rng = random.Random(7)
    cases = [(p, d, "c1", "d1", t) for p in PRINCIPALS for d in DEBTS for t in TIMES]
    everything = [(p, d, c, party, TIMES[5]) for p in PRINCIPALS for d in DEBTS for c in COLLECTORS for party in PARTIES]
    cases += rng.sample(everything, 400)
    seen = set()
    for p, d, c, party, t in cases:
        expected = _answer(lambda: _stepwise(store, p, d, c, party, t))  # noqa: B023
        got = _answer(lambda: scope.ask(store, p, "call-x", d, c, party, t))  # noqa: B023
        assert got == expected, (p, d, c, party, t)
        seen.add(expected[:3] if expected else None)
    # the cases reach every kind of answer
    assert {None, ("NotFound", "not-found", "debt"), ("NotFound", "not-found", "collector"),
            ("Forbidden", "forbidden", "collector"), ("NotFound", "not-found", "party")} <= seen


def test_attempt_visibility_in_one_statement_answers_as_scope_attempt(store):
    build(store, folded_world())
    gate = Gate(store)
    at = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)
    attempts = []
    for n, (collector, debt, party) in enumerate((("bot1", "loan1", "d1"), ("c1", "loan1", "d1"), ("cs", "loan1", "d1"),
                                                  ("cB", "loan3", "d3"), ("c2", "loan2", "d2"))):
        attempt = AttemptIn(id=f"a{n}", collector=collector, debt=debt, party=party, channel="sms", mode="notification",
                            tool="sms", template="t-sms")
        try:
            gate.decide(attempt, at)
        except CollectGuardError:
            continue
        attempts.append(attempt.id)
    assert len(attempts) >= 4
    for p in PRINCIPALS:
        for attempt_id in [*attempts, "nope"]:
            def stepwise(p=p, attempt_id=attempt_id):
                with store.read() as session:
                    scope.attempt(session, p, attempt_id)

            assert _answer(lambda p=p, attempt_id=attempt_id: scope.attempt_visible(store, p, attempt_id)) \
                == _answer(stepwise), (p, attempt_id)

"""Priority reached by the daily plan (排班) vs a simple greedy baseline, in the same run on the same world.

    python -m bench.plan [--debtors N] [--rows R] [--collectors C] [--calls-per-hour K] [--seed S] [--json]

A synthetic world on a throwaway SQLite file: one bank, one listed agency, C collectors split between the two,
N debtors in four time zones (Shanghai, Urumqi, London, New York), one or two debts each (some placed with the
agency), some debtors with an agreed window and a lower voice cap, some with a call already made today; a
worklist of R rows (voice, SMS, letter) with random priorities — more than the shifts hold.

- plan: `plan_day` (greedy by priority with slot search, every slot judged by the rulebook);
- baseline: worklist order, each row at its organisation's next free slot, no search in time (`search=False`).

Both plans are then replayed through the real Gate (decide + connected 60 s outcome, in time order, each on its
own copy of the world): denials are counted (the plan must have none). Wall times beside.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.plan.model import PlanResult, Wanted
from collectguard.plan.planner import Shift, plan_day, planned_attempt
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from collectguard.rulebook.vocabulary import Channel

DAY = date(2026, 5, 20)
SH = ZoneInfo("Asia/Shanghai")
ZONES = ["Asia/Shanghai", "Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/New_York"]


def build(store: Store, debtors: int, collectors: int, rng: random.Random) -> list[tuple[str, str]]:
    """The world; returns (debt, debtor) pairs."""
    people, debts, placements, agreements = [], [], [], []
    for i in range(debtors):
        people.append({"id": f"d{i}", "name": "张三", "phone": f"138{i:08d}", "timezone": rng.choice(ZONES)})
        for j in range(rng.choice([1, 1, 2])):
            debt = f"loan{i}_{j}"
            debts.append({"id": debt, "institution": "bank", "debtor": f"d{i}", "product": rng.choice(["cash", "card"]),
                          "overdue_amount": "1000.00"})
            if rng.random() < 0.5:
                placements.append({"debt": debt, "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)})
        if rng.random() < 0.15:
            agreements.append({"debtor": f"d{i}", "institution": "bank", "voice_cap": 1,
                               "windows": [{"from": "14:00", "to": "16:00"}]})
    staff = []
    for c in range(collectors):
        if c % 2 == 0:
            staff.append({"id": f"bot{c}", "org": "bank", "kind": "ai_agent", "approved": True})
        else:
            staff.append({"id": f"c{c}", "org": "agA", "kind": "human", "pre_job_exam": date(2026, 1, 5),
                          "pledge_signed": True, "last_training": date(2026, 1, 5)})
    world = s.World.model_validate({
        "institutions": [{"id": "bank", "name": "示例银行"}],
        "agencies": [{"id": "agA", "name": "甲催收", "listed_by": ["bank"]}],
        "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": date(2026, 1, 1),
                        "to": date(2026, 12, 31)}],
        "collectors": staff,
        "tools": [{"id": "tel", "institution": "bank", "type": "phone", "official": True},
                  {"id": "sms", "institution": "bank", "type": "sms", "official": True},
                  {"id": "lh", "institution": "bank", "type": "letterhead", "official": True}],
        "templates": [
            {"id": "t-voice", "institution": "bank", "audience": "debtor", "channel": "voice", "approved": True,
             "text": "您好，这里是示例银行，请按时还款。"},
            {"id": "t-sms", "institution": "bank", "audience": "debtor", "channel": "sms", "approved": True,
             "text": "【示例银行】您的借款已逾期，请通过官方App还款。"},
            {"id": "t-letter", "institution": "bank", "audience": "debtor", "channel": "letter", "approved": True,
             "sealed": True, "text": "【示例银行】催收函：请按时还款。"},
            {"id": "t-envelope", "institution": "bank", "audience": "debtor", "channel": "letter", "approved": True,
             "text": "示例银行 寄"},
        ],
        "debtors": people, "debts": debts, "placements": placements, "debtor_agreements": agreements,
    })
    with store.transaction() as session:
        Registry(session, at=datetime(2026, 5, 1, 9, tzinfo=SH)).load_world(world)
    return [(d["id"], d["debtor"]) for d in debts]


def used_today(store: Store, pairs: list[tuple[str, str]], rng: random.Random) -> int:
    """Some debtors were already called this morning (before the shift): what the plan must count."""
    gate = Gate(store)
    n = 0
    try:
        for k, (debt, debtor) in enumerate(rng.sample(pairs, len(pairs) // 5)):
            at = datetime.combine(DAY, datetime.min.time(), SH) + timedelta(hours=8, seconds=k)
            out = gate.decide(AttemptIn(id=f"early-{k}", collector="bot0", debt=debt, party=debtor, channel=Channel.VOICE,
                                        mode="notification", tool="tel", template="t-voice", recording=True), at)
            if out.allowed:
                gate.record_outcome(OutcomeIn(attempt=f"early-{k}", connected=True, duration_s=Decimal(60)),
                                    at + timedelta(seconds=60))
                n += 1
    finally:
        gate.close()
    return n


def replay(path: Path, result: PlanResult) -> int:
    """Denials when the plan is replayed through the Gate on a copy of the world."""
    copy = path.with_name(f"replay-{time.monotonic_ns()}.db")
    shutil.copyfile(path, copy)
    store = Store(f"sqlite:///{copy}")
    gate = Gate(store)
    denied = 0
    try:
        events = sorted([(p.start, 0, n) for n, p in enumerate(result.planned)]
                        + [(p.start + timedelta(seconds=60), 1, n) for n, p in enumerate(result.planned)])
        for when, kind, n in events:
            if kind == 0:
                denied += not gate.decide(planned_attempt(result.planned[n], f"r-{n}"), when).allowed
            else:
                gate.record_outcome(OutcomeIn(attempt=f"r-{n}", connected=True, duration_s=Decimal(60)), when)
    finally:
        gate.close()
        store.dispose()
    return denied


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--debtors", type=int, default=300)
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--collectors", type=int, default=4)
    ap.add_argument("--calls-per-hour", type=int, default=12)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    path = Path(tempfile.mkdtemp(prefix="cg-bench-plan-")) / "world.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    store = Store(url)
    try:
        pairs = build(store, args.debtors, args.collectors, rng)
        early = used_today(store, pairs, rng)
        channels = [Channel.VOICE] * 6 + [Channel.SMS] * 3 + [Channel.LETTER]
        worklist = [Wanted(i + 2, rng.choice(pairs)[0], float(rng.randint(1, 100)), rng.choice(channels))
                    for i in range(args.rows)]
        shift = Shift(calls_per_hour=args.calls_per_hour)
        t0 = time.perf_counter()
        planned = plan_day(store, worklist, DAY, shift=shift)
        t1 = time.perf_counter()
        baseline = plan_day(store, worklist, DAY, shift=shift, search=False)
        t2 = time.perf_counter()
    finally:
        store.dispose()
    out = {
        "debtors": args.debtors, "worklist_rows": args.rows, "collectors": args.collectors,
        "calls_per_hour": args.calls_per_hour, "called_before_the_shift": early,
        "priority_wanted": planned.priority_wanted,
        "plan_priority_reached": planned.priority_reached, "plan_rows": len(planned.planned),
        "plan_s": round(t1 - t0, 3), "plan_gate_denials": replay(path, planned),
        "baseline_priority_reached": baseline.priority_reached, "baseline_rows": len(baseline.planned),
        "baseline_s": round(t2 - t1, 3), "baseline_gate_denials": replay(path, baseline),
        "priority_ratio": round(planned.priority_reached / baseline.priority_reached, 3)
        if baseline.priority_reached else None,
    }
    shutil.rmtree(path.parent, ignore_errors=True)
    print(json.dumps(out, indent=None if args.json else 2))
    return out


if __name__ == "__main__":
    main()

"""The synthetic demo world: build it, load it into a store, and draw sample attempts against it.

    from collectguard.demo.world import build_demo_world, load_demo, sample_attempts
    summary = load_demo("sqlite:///demo.db")            # migrate, then load 10,000 debtors, dated today
    attempts = sample_attempts(build_demo_world(), 100, seed=1)

Every person in it is synthetic: phone numbers in the unallocated 100–109 range, ID numbers with the
non-existent area code 99xxxx, generated names. Its dates are relative to the day it is built for (`start`,
by default today in Beijing): placements, agreements and trainings are in force that day and the 30 days
after it. The same seed and day always give the same world.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.demo import complaints as demo_complaints
from collectguard.demo import history as past
from collectguard.demo import incidents as demo_incidents
from collectguard.demo import organisations as orgs
from collectguard.demo import qa as demo_qa
from collectguard.demo import retention as demo_retention
from collectguard.demo.attempts import labelled_attempts, sample_attempts
from collectguard.demo.organisations import build_day
from collectguard.demo.oversight import record_history
from collectguard.demo.population import population
from collectguard.demo.templates import template_id, templates
from collectguard.registry.schemas import World
from collectguard.registry.service import Registry

__all__ = ["DemoSummary", "build_day", "build_demo_world", "labelled_attempts", "load_demo", "loaded_at",
           "sample_attempts"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def build_demo_world(seed: int = 2026, debtors: int = 10_000, start: date | None = None) -> World:
    """A realistic synthetic world for one consumer-finance lender, dated around `start` (default: today),
    deterministic for a seed and a day."""
    start = start or build_day()
    org_rng = random.Random(f"collectguard-demo:{seed}:organisations")
    people = population(random.Random(f"collectguard-demo:{seed}:population"), debtors, start)
    return World.model_validate(
        {
            "institutions": orgs.institutions(start),
            "agencies": orgs.agencies(),
            "agreements": orgs.agreements(start),
            "collectors": orgs.collectors(org_rng, start),
            "tools": orgs.tools(start),
            "templates": templates(),
            "debtors": people.debtors,
            "contacts": people.contacts,
            "debts": people.debts,
            "placements": people.placements,
            "debtor_agreements": people.debtor_agreements,
        }
    )


def loaded_at(start: date) -> datetime:
    """When the demo world is registered: 08:00 Beijing time on the day before `start`."""
    return datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=8)


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` loaded, how long it took, and ids to try the gate with."""

    url: str
    seed: int
    start: date
    counts: dict[str, int]
    migrate_seconds: float
    build_seconds: float
    load_seconds: float
    debtor: str
    debt: str
    contact: str
    collector: str
    agency_collector: str
    tool: str
    template: str
    example_attempt: dict[str, Any] = field(default_factory=dict)
    history: past.HistorySummary | None = None  # the attempts decided on the days before `start` (--history-days)


def counts_of(world: World) -> dict[str, int]:
    counts = {name: len(getattr(world, name)) for name in World.model_fields}
    kinds = Counter(str(c.kind) for c in world.collectors)
    counts["ai_agents"] = kinds["ai_agent"]
    counts["human_collectors"] = kinds["human"]
    counts["subcontractors"] = sum(1 for a in world.agencies if a.parent)
    counts["guaranteed_debts"] = sum(1 for d in world.debts if d.guarantors)
    return counts


def _sample_ids(world: World) -> dict[str, str]:
    """A plain debtor (normal, no agreement, Beijing time) whose open debt 青禾 holds, with its ids."""
    agreed = {a.debtor for a in world.debtor_agreements}
    plain = {d.id for d in world.debtors if d.status == "normal" and d.timezone == "Asia/Shanghai" and d.id not in agreed}
    held = {p.debt for p in world.placements if p.agency == orgs.QINGHE}
    debt = next(
        (d for d in world.debts if d.status == "open" and d.debtor in plain and d.id in held),
        world.debts[0],
    )
    contact = next((k.id for k in world.contacts if k.debtor == debt.debtor), "")
    return {"debtor": debt.debtor, "debt": debt.id, "contact": contact}


def load_demo(url: str, *, seed: int = 2026, debtors: int = 10_000, start: date | None = None,
              history_days: int = 0, history_per_day: int = past.PER_DAY) -> DemoSummary:
    """Migrate the database at `url`, then load the demo world (dated around `start`, default today) in one
    transaction through the registry; with `history_days`, the gate then decides a history of attempts on the
    weekdays of that many days before `start` (demo/history.py), whose connected calls are then inspected."""
    start = start or build_day()
    t0 = time.perf_counter()
    upgrade(url)
    t1 = time.perf_counter()
    world = build_demo_world(seed, debtors, start)
    t2 = time.perf_counter()
    store = Store(url)
    try:
        with store.transaction() as session:
            Registry(session, at=loaded_at(start)).load_world(world)
            history = record_history(session, start)
        attempts = past.record_attempts(store, world, start, history_days, per_day=history_per_day, seed=seed) \
            if history_days > 0 else None
        with store.transaction() as session:
            demo_qa.record(session, loaded_at(start))  # transcripts of the connected calls recorded (demo/qa.py)
        # Oversight II, each through its service and in its own transactions: complaints with a cluster of
        # mass-produced ones (art. 27), incidents with their countdowns, a retention run and its deletion log.
        oversight_ii = {"complaints": demo_complaints.record(store, loaded_at(start), seed=seed),
                        "incidents": demo_incidents.record(store, loaded_at(start), seed=seed),
                        "deletions": demo_retention.record(store, loaded_at(start), seed=seed)}
    finally:
        store.dispose()
    t3 = time.perf_counter()
    ids = _sample_ids(world)
    collector, tool, template = f"{orgs.LENDER}-ai-01", f"{orgs.LENDER}-phone-1", template_id("voice", "debtor")
    example = {
        "id": "example-1", "collector": collector, "debt": ids["debt"], "party": ids["debtor"],
        "channel": "voice", "mode": "notification", "tool": tool, "template": template,
    }
    return DemoSummary(
        url=url,
        seed=seed,
        start=start,
        counts={**counts_of(world), "oversight_events": history.events, "inspections": history.inspections,
                "rectification_orders": history.orders, **oversight_ii},
        migrate_seconds=round(t1 - t0, 3),
        build_seconds=round(t2 - t1, 3),
        load_seconds=round(t3 - t2, 3),
        collector=collector,
        agency_collector=f"{orgs.QINGHE}-c01",
        tool=tool,
        template=template,
        example_attempt=example,
        history=attempts,
        **ids,
    )

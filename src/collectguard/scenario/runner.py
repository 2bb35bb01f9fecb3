"""Run scenario files, each against a fresh, empty store, through the public gate service."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from collectguard.db.migrate import upgrade
from collectguard.db.models import metadata
from collectguard.db.store import Store, normalise_url
from collectguard.errors import CollectGuardError
from collectguard.gate.schemas import DecisionOut
from collectguard.gate.service import Gate
from collectguard.ledger.service import seed_head
from collectguard.registry.events import Events
from collectguard.registry.service import Registry
from collectguard.scenario.loader import LoadError, load_scenario
from collectguard.scenario.schema import Expect, Scenario, Step


@dataclass
class StepResult:
    index: int
    ok: bool
    expected: Any
    got: Any
    action: str = "attempt"

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "ok": self.ok, "expected": self.expected, "got": self.got}


@dataclass
class FileResult:
    path: str
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "steps": [s.as_dict() for s in self.steps], "error": self.error}


def collect(paths: list[str]) -> list[Path | LoadError]:
    """Files as given, folders searched recursively for *.yaml (and *.yml), in a stable order."""
    found: list[Path | LoadError] = []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            files = sorted({*p.rglob("*.yaml"), *p.rglob("*.yml")})
            if not files:
                found.append(LoadError(name, None, "文件夹中没有 *.yaml 场景 / no *.yaml scenarios in this folder"))
            found.extend(files)
        elif p.is_file():
            found.append(p)
        else:
            found.append(LoadError(name, None, "文件不存在 / no such file or folder"))
    return found


class FreshStores:
    """A fresh, empty, migrated store per scenario. SQLite: a copy of a migrated template file;
    PostgreSQL: the given database, migrated once and emptied before each scenario."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url) if url else None
        self._tmp = Path(tempfile.mkdtemp(prefix="collectguard-scenarios-"))
        self._count = 0
        if self.url is None or self.url.startswith("sqlite"):
            self._template = self._tmp / "template.db"
            upgrade(f"sqlite:///{self._template}")
        else:
            upgrade(self.url)

    @contextmanager
    def fresh(self) -> Iterator[Store]:
        self._count += 1
        if self.url is None or self.url.startswith("sqlite"):
            target = self._tmp / f"scenario-{self._count}.db"
            shutil.copyfile(self._template, target)
            store = Store(f"sqlite:///{target}")
        else:
            store = Store(self.url)
            tables = ", ".join(t.name for t in metadata.sorted_tables)
            with store.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                seed_head(conn)  # as migration 0012 left it
        try:
            yield store
        finally:
            store.dispose()

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


def run_file(path: Path, stores: FreshStores, *, algorithm: str = "sm3") -> FileResult:
    result = FileResult(str(path))
    try:
        scenario = load_scenario(path)
    except LoadError as exc:
        result.error = str(exc)
        return result
    with stores.fresh() as store:
        gate = Gate(store, algorithm=algorithm)
        events = Events(store, algorithm=algorithm)
        try:
            _setup(store, scenario, algorithm)
        except CollectGuardError as exc:
            result.error = f"{path}: setup: {exc}"
            gate.close()
            return result
        for index, step in enumerate(scenario.steps):
            outcome = run_step(gate, events, step, index)
            if outcome is not None:
                result.steps.append(outcome)
        gate.close()
    return result


def _setup(store: Store, scenario: Scenario, algorithm: str) -> None:
    at = scenario.start or datetime.now(UTC)
    with store.transaction() as session:
        registry = Registry(session, at=at, algorithm=algorithm)
        policies = scenario.policy
        first_day = at.astimezone(ZoneInfo(scenario.timezone)).date()
        for inst in scenario.setup.institutions:
            # OVERSIGHT.md: an institution's days are the scenario's; it has collected since the first step's date
            # unless it says `since`.
            inst = inst.model_copy(update={"timezone": inst.timezone or scenario.timezone,
                                           "since": inst.since or first_day})
            registry.add_institution(inst, policies.get(inst.id))
        session.flush()
        world = scenario.setup.model_copy(update={"institutions": []})
        registry.load_world(world, default_timezone=scenario.timezone)


def run_step(gate: Gate, events: Events, step: Step, index: int) -> StepResult | None:
    """Run one step; return its result when it carries an expectation (or failed unexpectedly)."""
    expect = step.expect
    try:
        got = _act(gate, events, step)
    except CollectGuardError as exc:
        codes = list(getattr(exc, "rules", None) or [exc.code])
        rejected = {"reject": codes[0] if len(codes) == 1 else codes, "message_en": exc.message_en}
        if expect is not None and expect.kind == "reject":
            return StepResult(index, set(codes) == set(expect.rules), expect.as_given(), rejected, step.action)
        return StepResult(index, False, expect.as_given() if expect else "ok", rejected, step.action)
    if expect is None:
        return None
    if expect.kind == "overdue":
        return StepResult(index, set(got) == set(expect.rules), expect.as_given(), {"overdue": got}, step.action)
    if isinstance(got, DecisionOut):
        return StepResult(index, matches(expect, got), expect.as_given(), describe(got), step.action)
    said = warnings_of(got)
    if expect.kind != "ok":
        return StepResult(index, False, expect.as_given(), {"ok": said} if said else "ok", step.action)
    if expect.details:  # `{ok: {proxy_warning: true}}`: accepted, and the result says exactly that
        details = getattr(got, "detail", None) or {}
        ok = all(details.get(k) == v for k, v in expect.details.items())
        return StepResult(index, ok, expect.as_given(), {"ok": {k: details.get(k) for k in expect.details}},
                          step.action)
    # a plain `ok` means accepted with no warning (OVERSIGHT.md: a complaint registered with no proxy warning)
    return StepResult(index, not said, expect.as_given(), {"ok": said} if said else "ok", step.action)


# Results that warn someone: a plain `ok` expects none of them to be true.
WARNINGS = ("proxy_warning",)


def warnings_of(got: Any) -> dict[str, Any]:
    details = getattr(got, "detail", None) or {}
    return {k: details[k] for k in WARNINGS if details.get(k)}


# An attempt and an outcome go to the gate; every other step action is the event of the same name, in its
# domain (registry/events.py).
GATE_METHOD = {"attempt": "decide", "outcome": "record_outcome"}


def _act(gate: Gate, events: Events, step: Step) -> Any:
    if step.action in GATE_METHOD:
        return getattr(gate, GATE_METHOD[step.action])(step.payload, step.at)
    return getattr(events, step.action)(step.payload, step.at)


def matches(expect: Expect, got: DecisionOut) -> bool:
    failing = set(got.failing_rules)
    if expect.kind == "allow":
        ok = got.allowed
    elif expect.kind == "deny":
        ok = not got.allowed and failing == set(expect.rules)
    else:
        ok = not got.allowed and set(expect.rules) <= failing
    if expect.checks_next_allowed_at:
        want, have = expect.next_allowed_at, got.next_allowed_at
        ok = ok and (want == have if want is not None and have is not None else want is have)
    if expect.quota:
        ok = ok and all(got.quotas.get(rule) == left for rule, left in expect.quota.items())
    return ok


def describe(got: DecisionOut) -> dict[str, Any]:
    return {
        "decision": got.decision,
        "rules": list(got.failing_rules),
        "next_allowed_at": got.next_allowed_at.isoformat() if got.next_allowed_at else None,
        "quota": dict(got.quotas),
    }

"""回放所用的世界 / The world a replay judges against, loaded once into memory.

A world file (`setup:` of a scenario, plus `tools[].number` and `contacts[].phone`) is loaded through the
registry into a throw-away SQLite store, exactly as the scenario runner does; then everything static
(registry snapshot, debtors, debts, placements, holds, agreements, limits) is read once, and no call of the
replay touches a database again.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import pickle
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from collectguard.rulebook import facts as f
from collectguard.rulebook.profile import Profile
from collectguard.rulebook.vocabulary import DebtorStatus, DebtStatus, PartyKind

_NON_DIGITS = re.compile(r"\D+")
# libyaml's parser where PyYAML has it (its wheels do): the same safe constructors, ten times the pure-Python
# parser's speed — which took half of loading a 20,000-debtor world file
_SAFE_YAML: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def normalise_number(raw: str | None) -> str:
    """Digits only, a leading +86 / 86 / 0086 dropped (FORMAT.md)."""
    digits = _NON_DIGITS.sub("", raw or "")
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("86") and len(digits) > 11:
        return digits[2:]
    return digits


class WorldError(Exception):
    """世界文件无法加载 / the world file cannot be loaded."""


@dataclass
class ReplayWorld:
    """Everything static a replay needs, in memory."""

    snap: Any  # gate.snapshot.RegistrySnapshot
    rows: Any  # gate.repository.DebtorRows
    limits: Any  # gate.repository.LimitsCache
    profile: Profile
    tools_by_number: dict[str, str] = field(default_factory=dict)  # number → tool id
    parties_by_number: dict[str, list[str]] = field(default_factory=dict)  # number → party ids
    party_kind: dict[str, tuple[PartyKind, str, Any]] = field(default_factory=dict)  # party → (kind, debtor, contact)
    debts_by_debtor: dict[str, list[Any]] = field(default_factory=dict)  # debtor → debt rows
    # A database world: parties found by the keyed hash of a number (phone_index), never by a number in clear.
    phone_index: dict[str, list[str]] = field(default_factory=dict)
    hasher: Any = None  # number → phone_index, for a database world
    # A world file's settled debts were settled before the log began (the store stamps them with the load time).
    settled_before_log: bool = False
    _party_cache: dict[tuple[str, str], f.Party] = field(default_factory=dict)
    _debt_cache: dict[str, f.Debt] = field(default_factory=dict)
    _agency_cache: dict[tuple[str, str], tuple[Any, Any, Any, tuple[f.Agreement, ...]]] = field(default_factory=dict)

    def add_numbers(self, numbers: set[str]) -> None:
        """For a database world: find the parties of these (normalised) numbers through their keyed hash."""
        if self.hasher is None:
            return
        for number in numbers:
            if number not in self.parties_by_number:
                found = self.phone_index.get(self.hasher(number))
                if found:
                    self.parties_by_number[number] = list(found)

    def collector_ok(self, collector_id: str) -> bool:
        return collector_id in self.snap.collectors

    def institution_of_collector(self, collector_id: str) -> set[str]:
        """Institutions a collector can work for: its own (in-house), or those its agency chain has agreements
        or listings with (an agency collector)."""
        c = self.snap.collectors[collector_id]
        if c.org_id not in self.snap.agency_parents:
            return {c.org_id}
        chain = self._chain(c.org_id)
        insts = {inst for (inst, ag) in self.snap.agreements if ag == chain[-1]}
        insts |= {inst for (inst, ag) in self.snap.listings if ag in chain}
        return insts

    def _chain(self, org: str) -> list[str]:
        chain = [org]
        while (up := self.snap.agency_parents.get(chain[-1])) is not None and len(chain) <= 8:
            chain.append(up)
        return chain

    def agency_label(self, collector_id: str) -> str:
        c = self.snap.collectors.get(collector_id)
        if c is None or c.org_id not in self.snap.agency_parents:
            return "in-house"
        return c.org_id

    def debt(self, debt_id: str) -> f.Debt | None:
        got = self._debt_cache.get(debt_id)
        if got is None:
            d = self.rows.debts.get(debt_id)
            if d is None:
                return None
            got = self._debt_cache[debt_id] = f.Debt(
                id=d.id, institution_id=d.institution_id, debtor_id=d.debtor_id, product=d.product,
                guarantor_ids=tuple(self.rows.guarantors.get(d.id, ())), status=DebtStatus(d.status),
                settled_at=None if self.settled_before_log else d.settled_at)
        return got

    def party(self, party_id: str, institution_id: str) -> f.Party:
        key = (party_id, institution_id)
        got = self._party_cache.get(key)
        if got is None:
            kind, debtor_id, contact = self.party_kind[party_id]
            debtor = self.rows.debtors[debtor_id]
            got = self._party_cache[key] = f.Party(
                id=party_id, kind=kind, debtor_id=debtor_id, timezone=debtor.timezone,
                debtor_status=DebtorStatus(debtor.status),
                refused=bool(contact and self.rows.refused(institution_id, contact)),
                offers_to_repay=bool(contact and contact.offers_to_repay))
        return got

    def agency_facts(self, collector: f.Collector, institution_id: str) -> tuple[Any, Any, Any, tuple[f.Agreement, ...]]:
        """(agency, parent, root, agreements) as gate/repository.build_facts computes them."""
        key = (collector.org_id, institution_id)
        got = self._agency_cache.get(key)
        if got is None:
            agency = parent = root = None
            agreements: tuple[f.Agreement, ...] = ()
            snap = self.snap
            if collector.org_id in snap.agency_parents:
                chain = self._chain(collector.org_id)
                agency = snap.agency(chain[0], institution_id)
                if len(chain) > 1:
                    parent = snap.agency(chain[1], institution_id)
                    root = snap.agency(chain[-1], institution_id)
                agreements = snap.agreements.get((institution_id, chain[-1]), ())
            got = self._agency_cache[key] = (agency, parent, root, agreements)
        return got


def _read_world_yaml(path: Path) -> tuple[dict[str, Any], str, dict[str, Any], dict[str, str]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_YAML)  # noqa: S506 — a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise WorldError(f"{path}: 无法读取世界文件 / cannot read the world file: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("setup"), dict):
        raise WorldError(f"{path}: 世界文件须有 setup: / a world file needs `setup:`")
    setup = dict(raw["setup"])
    numbers: dict[str, str] = {}
    tools = []
    for t in setup.get("tools") or []:
        t = dict(t)
        number = t.pop("number", None)
        if number is not None and t.get("id"):
            numbers[normalise_number(str(number))] = str(t["id"])
        tools.append(t)
    setup["tools"] = tools
    return setup, str(raw.get("timezone") or "Asia/Shanghai"), dict(raw.get("policy") or {}), numbers


_STORES: Any = None


def load_world(path: str | Path, *, profile: Profile | None = None) -> ReplayWorld:
    """Load a world file into a fresh SQLite store and read everything static from it."""
    from pydantic import ValidationError

    from collectguard.scenario.runner import FreshStores, _setup
    from collectguard.scenario.schema import Scenario

    path = Path(path)
    setup, timezone, policy, numbers = _read_world_yaml(path)
    try:
        scenario = Scenario.model_validate(
            {"scenario": "replay", "timezone": timezone, "policy": policy, "setup": setup, "steps": []})
    except ValidationError as exc:
        raise WorldError(f"{path}: 世界文件无效 / invalid world file:\n{exc}") from exc
    phones: dict[str, list[str]] = {}
    for d in setup.get("debtors") or []:
        if d.get("phone"):
            phones.setdefault(normalise_number(str(d["phone"])), []).append(str(d["id"]))
    for c in setup.get("contacts") or []:
        if c.get("phone"):
            phones.setdefault(normalise_number(str(c["phone"])), []).append(str(c["id"]))
    global _STORES
    if _STORES is None:  # one migrated template per process; each world gets a fresh copy of it
        _STORES = FreshStores(None)
        atexit.register(_STORES.close)
    store_file: Path | None = None
    try:
        with _STORES.fresh() as store:
            store_file = Path(store.engine.url.database or "")
            try:
                _setup(store, scenario, "sm3")
            except Exception as exc:
                raise WorldError(f"{path}: setup: {exc}") from exc
            with store.transaction() as session:
                world = _read_static(session, profile)
    finally:  # the throw-away store goes, loaded or not (a -wal left behind would replay into the next one's copy)
        if store_file is not None:
            for leftover in (store_file, Path(f"{store_file}-wal"), Path(f"{store_file}-shm")):
                leftover.unlink(missing_ok=True)
    world.tools_by_number = numbers
    world.settled_before_log = True
    world.parties_by_number = phones
    return world


def load_world_apart(path: str | Path, *, profile: Profile | None = None) -> ReplayWorld:
    """`load_world` in a forked child, which sends the world back pickled (where fork is not available: here).

    Loading a world runs it through the registry into a throw-away store: the modules that needs (half of what
    a replay's process would hold) and a heap fragmented by the rows it made and dropped (on 20,000 debtors about
    130 MB of pages kept for 30 MB of world) stay in the child. The world arrives compact, so a replay's workers,
    forked from this process, share a third of the memory they otherwise would. A bad world file raises the
    same `WorldError`."""
    from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile

    if "fork" not in mp.get_all_start_methods():
        return load_world(path, profile=profile)
    profile = profile or load_profile(DEFAULT_PROFILE)
    read_end, write_end = os.pipe()
    child = mp.get_context("fork").Process(target=_load_and_send, args=(Path(path), profile, write_end),
                                           daemon=True)
    child.start()
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as incoming:
            unpickler = pickle.Unpickler(incoming)
            unpickler.persistent_load = lambda _key: profile  # type: ignore[method-assign]
            outcome, payload = unpickler.load()
    except (EOFError, pickle.UnpicklingError) as exc:
        child.join()
        raise WorldError(f"{path}: 加载世界的进程意外退出 / the process loading the world exited with "
                         f"{child.exitcode}: {exc}") from None
    child.join()
    if outcome != "ok":
        raise WorldError(payload)
    world: ReplayWorld = payload
    return world


def _load_and_send(path: Path, profile: Profile, write_end: int) -> None:
    """In the child of `load_world_apart`: load, then pickle ("ok", world) or ("error", message) down the pipe;
    the profile goes by reference (the parent has the same object)."""
    inherited = _STORES  # the parent's template, if it made one: the parent's to remove
    with os.fdopen(write_end, "wb") as outgoing:
        try:
            outcome: tuple[str, Any] = ("ok", load_world(path, profile=profile))
        except WorldError as exc:
            outcome = ("error", str(exc))
        finally:
            if _STORES is not None and _STORES is not inherited:  # a forked child leaves without running atexit
                _STORES.close()
        pickler = pickle.Pickler(outgoing, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = lambda obj: "profile" if obj is profile else None  # type: ignore[method-assign]
        pickler.dump(outcome)


def load_world_db(url: str, *, profile: Profile | None = None) -> ReplayWorld:
    """The world of an existing database. Parties are found by the keyed hash of a log's number (`add_numbers`);
    tools have no number there: the map's `tool_numbers` names them."""
    from sqlalchemy import select

    from collectguard.db.store import Store
    from collectguard.privacy.kinds import PiiKind
    from collectguard.privacy.lookup import blind_index
    from collectguard.registry import models as m
    from collectguard.registry.personal import keyring_of

    store = Store(url)
    try:
        with store.transaction() as session:
            world = _read_static(session, profile)
            keyring = keyring_of(session)
            for model in (m.Debtor, m.Contact):
                for ident, index in session.execute(select(model.id, model.phone_index)):
                    if index:
                        world.phone_index.setdefault(index, []).append(ident)
    finally:
        store.dispose()

    def hasher(number: str) -> str:
        return blind_index(keyring, number, kind=PiiKind.PHONE)

    world.hasher = hasher
    return world


def _read_static(session: Any, profile: Profile | None) -> ReplayWorld:
    from sqlalchemy import select

    from collectguard.gate.repository import DebtorRows, LimitsCache, load_contacts, parties
    from collectguard.gate.snapshot import RegistrySnapshot
    from collectguard.registry import models as m
    from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile

    profile = profile or load_profile(DEFAULT_PROFILE)
    snap = RegistrySnapshot.load(session, None)
    ids = [r for (r,) in session.execute(select(m.Debtor.id))] + [r for (r,) in session.execute(select(m.Contact.id))]
    found, debtors = parties(session, ids)
    load_contacts(session, found)
    debt_ids = [r for (r,) in session.execute(select(m.Debt.id))]
    rows = DebtorRows.load(session, debtors, debt_ids)
    rows.load_refused(session, [c for (_, _, c) in found.values() if c is not None])
    by_debtor: dict[str, list[Any]] = {}
    for d in rows.debts.values():
        by_debtor.setdefault(d.debtor_id, []).append(d)
    for debt_id, guarantors in rows.guarantors.items():
        for g in guarantors:
            by_debtor.setdefault(g, []).append(rows.debts[debt_id])
    return ReplayWorld(snap=snap, rows=rows, limits=LimitsCache(profile, snap, rows), profile=profile,
                       party_kind=found, debts_by_debtor=by_debtor)


def now() -> datetime:
    return datetime.now(UTC)

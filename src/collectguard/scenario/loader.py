"""Load a scenario file, or explain precisely why not: path, line and reason. Never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from collectguard.errors import CollectGuardError
from collectguard.registry.service import check_policy
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile
from collectguard.scenario import yamlsource
from collectguard.scenario.schema import Scenario

# Ids the scenarios may expect beyond the profile's contact-gate rules.
PRODUCT_RULES = frozenset({"quota"})


@dataclass(frozen=True)
class LoadError(Exception):
    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


def known_rule_ids() -> frozenset[str]:
    profile = load_profile(DEFAULT_PROFILE)
    return frozenset(r.id for r in profile.rules) | frozenset(profile.obligations) | PRODUCT_RULES


def load_scenario(path: Path) -> Scenario:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(shown, None, f"无法读取 / cannot read: {exc}") from None
    try:
        raw = yamlsource.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise LoadError(shown, mark.line + 1 if mark else None, f"YAML 语法错误 / YAML syntax error: {problem}") from None
    if not isinstance(raw, dict):
        raise LoadError(shown, 1, "场景文件须为映射 / a scenario file must be a mapping with scenario, setup and steps")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        dotted = ".".join(str(p) for p in loc)
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise LoadError(shown, yamlsource.line_of(raw, loc), f"{dotted}: {first['msg']}{more}") from None
    _Checker(shown, raw, scenario).run()
    return scenario


def singular(kind: str) -> str:
    """A setup list's name for one of its items: agencies → agency, staff → staff, debts → debt."""
    return {"agencies": "agency", "staff": "staff"}.get(kind, kind[:-1])


class _Checker:
    """Cross-reference checks the schema alone cannot make."""

    def __init__(self, path: str, raw: Any, scenario: Scenario) -> None:
        self.path, self.raw, self.sc = path, raw, scenario

    def fail(self, loc: tuple[Any, ...], reason: str) -> LoadError:
        return LoadError(self.path, yamlsource.line_of(self.raw, loc), reason)

    def run(self) -> None:
        setup = self.sc.setup
        ids: dict[str, str] = {}
        for kind in ("institutions", "agencies", "agreements", "collectors", "tools", "templates", "debtors", "contacts", "debts",
                     "staff"):
            for i, item in enumerate(getattr(setup, kind)):
                if item.id in ids:
                    raise self.fail(("setup", kind, i, "id"), f"重复的编号 / duplicate id {item.id!r} (also a {ids[item.id]})")
                ids[item.id] = singular(kind)
        self.ids = ids
        for inst, policy in self.sc.policy.items():
            self.ref(("policy", inst), inst, "institutions")
            try:
                check_policy(policy)
            except CollectGuardError as exc:
                raise self.fail(("policy", inst), f"{exc.field}: {exc.message_zh} / {exc.message_en}") from None
        for i, a in enumerate(setup.agencies):
            for j, inst in enumerate(a.listed_by):
                self.ref(("setup", "agencies", i, "listed_by", j), inst, "institutions")
            for j, inst in enumerate(a.approved_by):
                self.ref(("setup", "agencies", i, "approved_by", j), inst, "institutions")
            if a.parent is not None:
                self.ref(("setup", "agencies", i, "parent"), a.parent, "agencies")
        for i, ag in enumerate(setup.agreements):
            self.ref(("setup", "agreements", i, "institution"), ag.institution, "institutions")
            self.ref(("setup", "agreements", i, "agency"), ag.agency, "agencies")
        for i, c in enumerate(setup.collectors):
            self.ref(("setup", "collectors", i, "org"), c.org, "institutions", "agencies")
        for i, t in enumerate(setup.tools):
            self.ref(("setup", "tools", i, "institution"), t.institution, "institutions")
            if t.org is not None:
                self.ref(("setup", "tools", i, "org"), t.org, "institutions", "agencies")
        for i, t in enumerate(setup.templates):
            self.ref(("setup", "templates", i, "institution"), t.institution, "institutions")
        for i, c in enumerate(setup.contacts):
            self.ref(("setup", "contacts", i, "debtor"), c.debtor, "debtors")
        for i, d in enumerate(setup.debts):
            self.ref(("setup", "debts", i, "institution"), d.institution, "institutions")
            self.ref(("setup", "debts", i, "debtor"), d.debtor, "debtors")
            for j, g in enumerate(d.guarantors):
                self.ref(("setup", "debts", i, "guarantors", j), g, "debtors")
        for i, p in enumerate(setup.placements):
            self.ref(("setup", "placements", i, "debt"), p.debt, "debts")
            self.ref(("setup", "placements", i, "agency"), p.agency, "agencies")
        for i, st in enumerate(setup.staff):
            self.ref(("setup", "staff", i, "org"), st.org, "institutions", "agencies")
        for i, da in enumerate(setup.debtor_agreements):
            self.ref(("setup", "debtor_agreements", i, "debtor"), da.debtor, "debtors")
            self.ref(("setup", "debtor_agreements", i, "institution"), da.institution, "institutions")
        self.steps()

    def new_id(self, loc: tuple[Any, ...], ident: str, action: str) -> None:
        """Evaluations, inspections and orders are named by the file; each name once."""
        if ident in self.ids:
            raise self.fail((*loc, "id"), f"重复的编号 / duplicate id {ident!r} (also a {self.ids[ident]})")
        self.ids[ident] = action

    def ref(self, loc: tuple[Any, ...], ident: str, *kinds: str) -> None:
        if self.ids.get(ident) not in {singular(k) for k in kinds}:
            what = " or ".join(singular(k) for k in kinds)
            raise self.fail(loc, f"未定义的{what} / unknown {what} {ident!r}")

    def steps(self) -> None:
        rules = known_rule_ids()
        attempts: set[str] = set()
        orders: set[str] = set()
        previous = None
        for i, step in enumerate(self.sc.steps):
            if previous is not None and step.at < previous:
                raise self.fail(("steps", i, "at"), f"时间倒退 / `at` goes backwards ({step.at.isoformat()} < {previous.isoformat()})")
            previous = step.at
            p = step.payload
            loc = ("steps", i, step.action)
            match step.action:
                case "attempt":
                    if p.id in attempts:
                        raise self.fail((*loc, "id"), f"重复的尝试编号 / duplicate attempt id {p.id!r}")
                    attempts.add(p.id)
                    self.ref((*loc, "collector"), p.collector, "collectors")
                    self.ref((*loc, "debt"), p.debt, "debts")
                    self.ref((*loc, "party"), p.party, "debtors", "contacts")
                case "outcome":
                    if p.attempt not in attempts:
                        raise self.fail((*loc, "attempt"), f"结果指向未发生的尝试 / outcome of unknown attempt {p.attempt!r}")
                case "repayment":
                    self.ref((*loc, "debt"), p.debt, "debts")
                case "contact_refused":
                    self.ref((*loc, "contact"), p.contact, "contacts")
                case "debtor_status":
                    self.ref((*loc, "debtor"), p.debtor, "debtors")
                case "agency_status":
                    self.ref((*loc, "institution"), p.institution, "institutions")
                    self.ref((*loc, "agency"), p.agency, "agencies")
                case "collector_status" | "training":
                    self.ref((*loc, "collector"), p.collector, "collectors")
                case "template_approval":
                    self.ref((*loc, "template"), p.template, "templates")
                case "placement":
                    self.ref((*loc, "debt"), p.debt, "debts")
                    self.ref((*loc, "agency"), p.agency, "agencies")
                case "agency_evaluation" | "agency_commitments" | "agency_listing" | "rectification_order":
                    self.ref((*loc, "institution"), p.institution, "institutions")
                    self.ref((*loc, "agency"), p.agency, "agencies")
                    if step.action == "agency_evaluation" and p.agreement is not None:
                        self.ref((*loc, "agreement"), p.agreement, "agreements")
                    if step.action in ("agency_evaluation", "rectification_order"):
                        self.new_id(loc, p.id, step.action)
                    if step.action == "rectification_order":
                        orders.add(p.id)
                case "inspection":
                    self.ref((*loc, "institution"), p.institution, "institutions")
                    self.ref((*loc, "org"), p.org, "institutions", "agencies")
                    self.new_id(loc, p.id, step.action)
                    for j, f in enumerate(p.findings):
                        if f.rule not in rules:
                            raise self.fail((*loc, "findings", j, "rule"), f"未知规则编号 / unknown rule id {f.rule!r}")
                case "rectification_done":
                    if p.order not in orders:
                        raise self.fail((*loc, "order"), f"未下达的整改单 / unknown rectification order {p.order!r}")
                case "check_obligations":
                    self.ref((*loc, "institution"), p.institution, "institutions")
                    obligations = load_profile(DEFAULT_PROFILE).obligations
                    for key in step.expect.rules if step.expect else ():
                        if key.partition(":")[0] not in obligations or not key.partition(":")[2]:
                            raise self.fail(("steps", i, "expect", "overdue"),
                                            f"未知义务键 / unknown obligation key {key!r} (OBLIGATION_ID:SUBJECT_ID)")
            if step.expect is not None and step.expect.kind != "overdue":
                for rule in step.expect.rules:
                    if rule not in rules:
                        raise self.fail(("steps", i, "expect"), f"未知规则编号 / unknown rule id {rule!r}")
                for rule in step.expect.quota or {}:
                    if rule not in rules:
                        raise self.fail(("steps", i, "expect", "quota"), f"未知规则编号 / unknown rule id {rule!r}")

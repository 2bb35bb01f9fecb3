"""Rulebook profiles: the dated parameter files under `profiles/`, one per regulation.

Why: the numbers (3 calls, 22:00–08:00, 6 s, 7 days, 365 days…) belong to the regulation, not the code,
so a new profile is data plus the few rules that differ.

A profile's rules are assembled here, once per profile: each rule id named in its file becomes one immutable
`Rule` holding the id, profile, article, effective dates, headline messages and its check, taken from the
catalogue in `rules/` (an explicit table; nothing registers itself on import). A profile naming a rule the
catalogue lacks is refused when it loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from collectguard.rulebook.parameters import QuietHours, UnreachableDefinition, parse_hhmm
from collectguard.rulebook.rules import CATALOGUE
from collectguard.rulebook.rules.base import Check, Rule

__all__ = [
    "DEFAULT_PROFILE",
    "PRODUCT_PROFILE",
    "Profile",
    "QuietHours",
    "Rule",
    "UnreachableDefinition",
    "load_profile",
    "parse_hhmm",
]

DEFAULT_PROFILE = "nifa-2024"
PRODUCT_PROFILE = "collectguard"  # product rules that apply under every regulatory profile


@dataclass(frozen=True)
class Obligation:
    """An obligation over time (RULES.md's obligations table): what the calendar lists and a refusal cites."""

    id: str
    article: str
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    effective_from: date
    title_zh: str
    title_en: str
    quiet_hours: QuietHours
    voice_cap: int
    effective_call_cap: int
    effective_call_min_duration_s: float
    visit_cap: int
    visit_team_min: int
    visit_team_max: int
    letter_interval_days: int
    training_valid_days: int
    unreachable: UnreachableDefinition
    lease_ttl_s: int
    pre_expiry_days: int
    complaint_days: int
    breach_notice_hours: int
    major_risk_report_hours: int
    debt_fields: frozenset[str]
    references: dict[str, str]
    rules: tuple[Rule, ...]  # the regulation's rules, then the product's, each with its check
    obligations: Mapping[str, Obligation]  # the obligations over time, by id (RULES.md, obligations table)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def in_force(self, day: date) -> tuple[Rule, ...]:
        """The rules in force on a (local) day, in profile order."""
        first, last = self._all_in_force
        if first <= day and (last is None or day <= last):
            return self.rules  # the common case, without a filter per decision
        return tuple(rule for rule in self.rules if rule.in_force(day))

    @cached_property
    def _all_in_force(self) -> tuple[date, date | None]:
        """The days on which every rule is in force: from the latest start to the earliest end."""
        ends = [rule.effective_to for rule in self.rules if rule.effective_to is not None]
        return max((rule.effective_from for rule in self.rules), default=date.min), min(ends, default=None)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath("profiles", f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError:
        raise ValueError(f"未知的规则配置 / unknown rulebook profile {name!r}") from None
    raw: dict[str, Any] = yaml.safe_load(text)
    return raw


def _rules(raw: dict[str, Any], checks: Mapping[str, Check]) -> tuple[Rule, ...]:
    """One `Rule` per rule id of a profile file: its metadata joined with its check."""
    missing = sorted(set(raw["rules"]) - set(checks))
    if missing:
        raise ValueError(f"规则配置 {raw['profile']} 的规则缺少检查 / profile {raw['profile']} names rules "
                         f"without a check: {', '.join(missing)}")
    return tuple(
        Rule(
            id=rule_id,
            article=str(meta["article"]),
            profile=raw["profile"],
            effective_from=meta.get("effective_from", raw["effective_from"]),
            effective_to=meta.get("effective_to"),
            message_zh=meta["zh"],
            message_en=meta["en"],
            check=checks[rule_id],
        )
        for rule_id, meta in raw["rules"].items()
    )


def _obligation(ident: str, meta: dict[str, Any]) -> Obligation:
    """An obligation's metadata, exactly article, zh and en (a comma in an unquoted YAML flow value would have
    split the text into a stray key)."""
    if set(meta) != {"article", "zh", "en"} or not all(isinstance(meta[k], str) and meta[k] for k in ("zh", "en")):
        raise ValueError(f"义务 {ident} 的元数据须恰为 article、zh、en / obligation {ident} needs exactly article, zh "
                         f"and en, got {sorted(map(str, meta))}")
    return Obligation(ident, str(meta["article"]), meta["zh"], meta["en"])


@cache
def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """Load a regulatory profile by name from the packaged parameter files, with the product rules."""
    raw = _read(name)
    params = raw["parameters"]

    def value(key: str) -> Any:
        return params[key]["value"]

    quiet = value("quiet_hours")
    unreachable = value("unreachable")
    return Profile(
        name=raw["profile"],
        version=str(raw["version"]),
        effective_from=raw["effective_from"],
        title_zh=raw["title_zh"],
        title_en=raw["title_en"],
        quiet_hours=QuietHours(parse_hhmm(quiet["from"]), parse_hhmm(quiet["to"])),
        voice_cap=int(value("voice_cap")),
        effective_call_cap=int(value("effective_call_cap")),
        effective_call_min_duration_s=float(value("effective_call_min_duration_s")),
        visit_cap=int(value("visit_cap")),
        visit_team_min=int(value("visit_team_min")),
        visit_team_max=int(value("visit_team_max")),
        letter_interval_days=int(value("letter_interval_days")),
        training_valid_days=int(value("training_valid_days")),
        unreachable=UnreachableDefinition(**{k: int(v) for k, v in unreachable.items()}),
        lease_ttl_s=int(value("lease_ttl_s")),
        pre_expiry_days=int(value("pre_expiry_days")),
        complaint_days=int(value("complaint_days")),
        breach_notice_hours=int(value("breach_notice_hours")),
        major_risk_report_hours=int(value("major_risk_report_hours")),
        debt_fields=frozenset(raw["debt_fields"]),
        references={k: v["reference"] for k, v in params.items()},
        rules=_rules(raw, CATALOGUE) + _rules(_read(PRODUCT_PROFILE), CATALOGUE),
        obligations=MappingProxyType({ident: _obligation(ident, meta)
                                      for ident, meta in raw.get("obligations", {}).items()}),
    )

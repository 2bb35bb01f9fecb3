"""Rulebook profiles: the dated parameter files under `profiles/`, one per regulation.

Why: the numbers (3 calls, 22:00–08:00, 6 s, 7 days, 365 days…) belong to the regulation, not the code,
so a new profile is data plus the few rules that differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from functools import cache
from importlib import resources
from typing import Any

import yaml

DEFAULT_PROFILE = "nifa-2024"
PRODUCT_PROFILE = "collectguard"  # product rules that apply under every regulatory profile


@dataclass(frozen=True)
class UnreachableDefinition:
    """When a debtor "cannot be reached" (art. 8(二)): min_attempts not-connected attempts on at least
    min_distinct_days natural days within the last window_days days, and no connected contact."""

    window_days: int
    min_attempts: int
    min_distinct_days: int


@dataclass(frozen=True)
class QuietHours:
    start: time  # quiet from (e.g. 22:00)
    end: time  # until (e.g. 08:00)


@dataclass(frozen=True)
class RuleMeta:
    """A rule's metadata, as data: id, article, profile, dates and headline messages."""

    id: str
    article: str
    profile: str
    effective_from: date
    message_zh: str
    message_en: str
    effective_to: date | None = None

    @property
    def cited_zh(self) -> str:
        return f"第{self.article}条" if self.article[:1].isdigit() else self.article

    @property
    def cited_en(self) -> str:
        return f"art. {self.article}" if self.article[:1].isdigit() else self.article

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


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
    debt_fields: frozenset[str]
    references: dict[str, str]
    rules: tuple[RuleMeta, ...]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def parse_hhmm(text: str) -> time:
    """Parse "HH:MM" (or "HH:MM:SS"); "24:00" means the end of the day and is read as 00:00."""
    parts = str(text).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"时间格式应为 HH:MM / time must be HH:MM, got {text!r}")
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) == 3 else 0
    if hour == 24 and minute == 0 and second == 0:
        return time(0, 0)
    return time(hour, minute, second)


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath("profiles", f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError:
        raise ValueError(f"未知的规则配置 / unknown rulebook profile {name!r}") from None
    raw: dict[str, Any] = yaml.safe_load(text)
    return raw


def _rules(raw: dict[str, Any]) -> tuple[RuleMeta, ...]:
    return tuple(
        RuleMeta(
            id=rule_id,
            article=str(meta["article"]),
            profile=raw["profile"],
            effective_from=meta.get("effective_from", raw["effective_from"]),
            effective_to=meta.get("effective_to"),
            message_zh=meta["zh"],
            message_en=meta["en"],
        )
        for rule_id, meta in raw["rules"].items()
    )


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
        debt_fields=frozenset(raw["debt_fields"]),
        references={k: v["reference"] for k, v in params.items()},
        rules=_rules(raw) + _rules(_read(PRODUCT_PROFILE)),
    )

"""What a rule check is: a pure function of the facts that passes (None) or fails with a reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from collectguard.rulebook.calendar import local, local_date
from collectguard.rulebook.facts import Collector, Facts, Party, Template
from collectguard.rulebook.profile import Profile


@dataclass(frozen=True)
class Fail:
    """Why a rule failed, in Chinese and English."""

    zh: str
    en: str


@dataclass(frozen=True)
class Context:
    facts: Facts
    profile: Profile

    @property
    def party(self) -> Party:
        if self.facts.party is None:
            raise LookupError("party unknown")
        return self.facts.party

    @property
    def collector(self) -> Collector:
        if self.facts.collector is None:
            raise LookupError("collector unknown")
        return self.facts.collector

    @cached_property
    def local_now(self) -> datetime:
        return local(self.facts.at, self.party.zone)

    @cached_property
    def today(self) -> date:
        return local_date(self.facts.at, self.party.zone)

    @property
    def in_house(self) -> bool:
        """The collector works for the debt's institution itself."""
        return self.collector.org_id == self.facts.institution_id


Check = Callable[[Context], Fail | None]
CHECKS: dict[str, Check] = {}


def check(rule_id: str) -> Callable[[Check], Check]:
    """Register the check function of a rule id named in a profile."""

    def register(fn: Check) -> Check:
        if rule_id in CHECKS:
            raise ValueError(f"duplicate check for {rule_id}")
        CHECKS[rule_id] = fn
        return fn

    return register


FIELD = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def own(ctx: Context, template: Template | None) -> Template | None:
    """The template if it belongs to the attempt's institution, else None: another institution's template is
    judged only as not this institution's (art15-template-approved), never by its content, so a decision tells
    a caller nothing about another tenant's objects (art. 19(五))."""
    return template if template is not None and template.institution_id == ctx.facts.institution_id else None


def debt_fields_in(template: Template, profile: Profile) -> list[str]:
    """The debt-information fields a template's text contains (e.g. {overdue_amount})."""
    return sorted({name for name in FIELD.findall(template.text) if name in profile.debt_fields})

"""What a rule is: its metadata and its check, a pure function of the facts that passes (None) or fails with
a reason. A `Rule` is assembled per profile (`profile.load_profile`) from the profile file's metadata and the
check named for its id in the catalogue (`rules/__init__.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from collectguard.rulebook.calendar import local, local_date
from collectguard.rulebook.facts import Collector, Facts, Party, Template
from collectguard.rulebook.lazy import lazy

if TYPE_CHECKING:  # the profile assembles rules from this module: only its type is needed here
    from collectguard.rulebook.profile import Profile


@dataclass(frozen=True)
class Fail:
    """Why a rule failed, in Chinese and English."""

    zh: str
    en: str


def fail_all(problems: Sequence[tuple[str, str]]) -> Fail | None:
    """One failure naming every problem found (zh, en), or None: a rule that finds several problems names
    them all, so a caller fixing them learns of each from one decision."""
    if not problems:
        return None
    return Fail("；".join(zh for zh, _ in problems), "; ".join(en for _, en in problems))


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

    @lazy
    def local_now(self) -> datetime:
        return local(self.facts.at, self.party.zone)

    @lazy
    def today(self) -> date:
        return local_date(self.facts.at, self.party.zone)

    @lazy
    def day(self) -> date:
        """The day whose rules are in force: the party's local day, or the attempt's own date when the party
        is unknown (its rules then fail closed on the missing fact)."""
        try:
            return self.today
        except LookupError:
            return self.facts.at.date()

    @property
    def in_house(self) -> bool:
        """The collector works for the debt's institution itself."""
        return self.collector.org_id == self.facts.institution_id


Check = Callable[[Context], Fail | None]


@dataclass(frozen=True)
class Rule:
    """One rule of a profile, as one immutable unit: id, article, profile, effective dates, headline messages
    in Chinese and English, and its check."""

    id: str
    article: str
    profile: str
    effective_from: date
    message_zh: str
    message_en: str
    check: Check
    effective_to: date | None = None

    @property
    def cited_zh(self) -> str:
        return f"第{self.article}条" if self.article[:1].isdigit() else self.article

    @property
    def cited_en(self) -> str:
        return f"art. {self.article}" if self.article[:1].isdigit() else self.article

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


FIELD = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def own(ctx: Context, template: Template | None) -> Template | None:
    """The template if it belongs to the attempt's institution, else None: another institution's template is
    judged only as not this institution's (art15-template-approved), never by its content, so a decision tells
    a caller nothing about another tenant's objects (art. 19(五))."""
    return template if template is not None and template.institution_id == ctx.facts.institution_id else None


def debt_fields_in(template: Template, profile: Profile) -> list[str]:
    """The debt-information fields a template's text contains (e.g. {overdue_amount})."""
    return sorted({name for name in FIELD.findall(template.text) if name in profile.debt_fields})

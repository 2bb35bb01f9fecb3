"""Decisions are data, never prose: allow/deny, every failing rule, errors, quotas, the next allowed time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from collectguard.rulebook.vocabulary import Mode


@dataclass(frozen=True)
class Violation:
    """A rule that failed, with the article it restates and a message in Chinese and English."""

    rule: str
    article: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class RuleError:
    """A rule that could not be evaluated. The gate fails closed: an error is a deny that names the rule."""

    rule: str
    article: str
    error: str


@dataclass(frozen=True)
class Note:
    """Something the gate took differently from what the caller said, in Chinese and English."""

    code: str
    message_zh: str
    message_en: str


MODE_TAKEN_AS_NOTIFICATION = "mode-taken-as-notification"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    violations: tuple[Violation, ...]
    errors: tuple[RuleError, ...]
    quotas: dict[str, int]
    next_allowed_at: datetime | None
    lease_rule: str | None  # the per-day quota an allowed attempt leases, if any
    rulebook_version: str
    evaluated_at: datetime
    decision_id: str | None = field(default=None)
    mode: Mode | None = None  # the mode the attempt was judged as (notification on a one-way channel)
    notes: tuple[Note, ...] = ()

    @property
    def failing_rules(self) -> tuple[str, ...]:
        """Every rule id that denies: violations and errors alike."""
        ids = [v.rule for v in self.violations] + [e.rule for e in self.errors]
        return tuple(dict.fromkeys(ids))

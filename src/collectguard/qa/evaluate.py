"""Call-level precision, recall and false-positive rate per category against `labels`.

A call counts once per category: flagged (any finding of that category) or not, labelled or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from collectguard.qa.inspector import Inspector
from collectguard.qa.models import CATEGORIES, Call


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def fpr(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None

    def add(self, expected: bool, flagged: bool) -> None:
        if expected and flagged:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1


@dataclass(slots=True)
class Miss:
    """A call where flagged and expected categories differ (for tuning)."""

    id: str
    missed: list[str]
    extra: list[str]


@dataclass(slots=True)
class Evaluation:
    per_category: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in CATEGORIES})
    overall: Counts = field(default_factory=Counts)  #: call level: any violation flagged vs labelled
    calls: int = 0
    unlabelled: int = 0
    misses: list[Miss] = field(default_factory=list)

    def add(self, call: Call, flagged: set[str]) -> None:
        if call.labels is None:
            self.unlabelled += 1
            return
        self.calls += 1
        expected = set(call.labels)
        for category, counts in self.per_category.items():
            counts.add(category in expected, category in flagged)
        self.overall.add(bool(expected), bool(flagged))
        if expected != flagged:
            self.misses.append(Miss(call.id, sorted(expected - flagged), sorted(flagged - expected)))

    @property
    def micro(self) -> Counts:
        """Category-level counts summed over categories (call × category pairs)."""
        total = Counts()
        for c in self.per_category.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
            total.tn += c.tn
        return total


def evaluate(calls: Iterable[Call], inspector: Inspector | None = None) -> Evaluation:
    inspector = inspector or Inspector.default()
    result = Evaluation()
    for call in calls:
        result.add(call, {f.category for f in inspector.inspect(call)})
    return result

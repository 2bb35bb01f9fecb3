"""Quality on labelled data: the project's data set (targets) and the shared examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectguard.qa.evaluate import Evaluation, evaluate
from collectguard.qa.models import CATEGORIES
from collectguard.qa.transcripts import CallLine, read_calls

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared/qa/examples.jsonl"


def _evaluate(paths: list[Path]) -> Evaluation:
    calls = []
    for item in read_calls(paths):
        assert isinstance(item, CallLine), item.message()
        calls.append(item.call)
    return evaluate(calls)


def _complete(result: Evaluation) -> str | None:
    if result.calls < 400:
        return f"data set has {result.calls} calls (< 400)"
    for category, counts in result.per_category.items():
        if counts.tp + counts.fn < 25:
            return f"{category} has {counts.tp + counts.fn} violations (< 25)"
    compliant = result.overall.tn + result.overall.fp
    if compliant < 150:
        return f"{compliant} compliant calls (< 150)"
    return None


def test_project_data_set_meets_targets() -> None:
    paths = sorted(DATA.glob("*.jsonl"))
    if not paths:
        pytest.skip(f"no labelled data in {DATA} yet")
    result = _evaluate(paths)
    incomplete = _complete(result)
    if incomplete:
        pytest.skip(f"labelled data set not complete yet: {incomplete}")
    for category in CATEGORIES:
        counts = result.per_category[category]
        assert counts.recall is not None and counts.recall >= 0.95, (category, counts)
        assert counts.fpr is not None and counts.fpr <= 0.05, (category, counts)


def test_project_data_set_composition() -> None:
    """Enough calls per category, compliant calls, and pressure calls with the debtor too."""
    paths = sorted(DATA.glob("*.jsonl"))
    calls = [item.call for item in read_calls(paths) if isinstance(item, CallLine)]
    for category in CATEGORIES:
        assert sum(category in (c.labels or []) for c in calls) >= 25, category
    assert sum(c.labels == [] for c in calls) >= 150
    pressure = [c for c in calls if "third-party-pressure" in (c.labels or [])]
    assert len(pressure) >= 25
    assert sum(c.audience == "debtor" for c in pressure) >= 5
    assert sum(c.audience == "contact" for c in pressure) >= 5


def test_shared_examples() -> None:
    if not EXAMPLES.is_file():
        pytest.skip(f"shared examples not found at {EXAMPLES}")
    result = _evaluate([EXAMPLES])
    assert result.calls == 56
    # no compliant example is flagged at all, and violations are found
    assert result.overall.fp == 0
    assert result.overall.recall is not None and result.overall.recall >= 0.95
    for category in CATEGORIES:
        counts = result.per_category[category]
        assert counts.fpr is not None and counts.fpr <= 0.05, (category, counts)
        if counts.tp + counts.fn:
            assert counts.recall is not None and counts.recall >= 0.95, (category, counts)

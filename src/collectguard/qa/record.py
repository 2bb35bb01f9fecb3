"""Findings into the ledger (`collectguard qa scan --record`, `collectguard qa stats`).

Each scanned call that names its gate attempt (`attempt_id`) is attached to it through
`collectguard.qa.storage` in its own transaction, so one bad call (unknown attempt, already recorded)
is reported and the others are still recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectguard.errors import CollectGuardError
from collectguard.qa.models import Finding


@dataclass(frozen=True, slots=True)
class ScannedCall:
    """A scanned call, where it came from, and its findings."""

    file: str
    line: int
    call_id: str
    attempt_id: str | None
    findings: list[Finding]
    audience: str | None = None
    turns: list[dict[str, Any]] | None = None  #: kept beside the findings, masked (storage.QaCallRow)


@dataclass(slots=True)
class RecordReport:
    recorded: list[ScannedCall] = field(default_factory=list)
    #: calls without an attempt_id (not recorded, not an error)
    unattached: list[ScannedCall] = field(default_factory=list)
    #: calls whose recording failed: the call and the error
    failed: list[tuple[ScannedCall, CollectGuardError]] = field(default_factory=list)

    def messages(self) -> list[str]:
        """One bilingual line per call that was not recorded (for stderr)."""
        out = [
            f"{c.file}:{c.line}: 通话 {c.call_id} 没有 attempt_id，未登记 / call {c.call_id} has no attempt_id, not recorded"
            for c in self.unattached
        ]
        out += [
            f"{c.file}:{c.line}: 通话 {c.call_id} 未登记 not recorded (attempt {c.attempt_id}): "
            f"{err.message_zh} / {err.message_en}"
            for c, err in self.failed
        ]
        return sorted(out, key=_line_key)


def _line_key(message: str) -> tuple[str, int]:
    file, _, rest = message.partition(":")
    number = rest.partition(":")[0]
    return file, int(number) if number.isdigit() else 0


def record_calls(url: str, calls: Iterable[ScannedCall], at: datetime | None = None,
                 algorithm: str | None = None) -> RecordReport:
    """Attach every call with an attempt_id to its attempt, one transaction per call."""
    from collectguard.config import Settings
    from collectguard.db.store import Store
    from collectguard.qa import storage

    when = at or datetime.now(UTC)
    alg = algorithm or Settings.from_env().ledger_hash
    report = RecordReport()
    store = Store(url)
    try:
        for call in calls:
            if call.attempt_id is None:
                report.unattached.append(call)
                continue
            inspected = storage.Inspected(call_id=call.call_id, attempt_id=call.attempt_id,
                                          findings=[f.to_output() for f in call.findings],
                                          audience=call.audience, turns=call.turns)
            try:
                with store.transaction() as session:
                    storage.record(session, inspected, at=when, algorithm=alg)
            except CollectGuardError as exc:
                report.failed.append((call, exc))
                continue
            report.recorded.append(call)
    finally:
        store.dispose()
    return report


def violation_stats(url: str, by: str, institution: str | None = None) -> list[dict[str, Any]]:
    """`storage.violation_counts` on the database at `url`."""
    from collectguard.db.store import Store
    from collectguard.qa import storage

    store = Store(url)
    try:
        with store.transaction() as session:
            return storage.violation_counts(session, by, institution)
    finally:
        store.dispose()

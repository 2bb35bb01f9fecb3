"""回放的数据模型 / Data model of a replay: calls read from logs, verdicts, and the result summary.

Pure dataclasses, no I/O. The summary is exactly the `--json` object of shared/replay/FORMAT.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Call:
    """一行日志中的一通电话 / One call of a log row, as it actually happened."""

    line: int  # 1-based line number in its file
    file: str
    uniqueid: str
    collector: str
    tool_number: str  # normalised (digits only, no +86/86/0086)
    party_number: str  # normalised
    start: datetime  # aware
    connected: bool
    duration_s: int
    extra: dict[str, str] = field(default_factory=dict)
    channel: str = "voice"
    mode: str = "notification"
    template: str | None = None
    purpose: str | None = None
    recording: bool = True
    order: int = 0  # global file order (files in command-line order, then line: `logs.file_order`) — tie-break

    @property
    def debt(self) -> str | None:
        return self.extra.get("debt") or None


@dataclass(slots=True)
class Verdict:
    """一通电话的判定 / The verdict on one call (or why it could not be judged)."""

    call: Call
    judged: bool
    unmatched_reason: str | None = None
    rules: tuple[str, ...] = ()  # rule ids the call failed
    agency: str | None = None  # agency id, or "in-house"
    collector: str | None = None
    debtor_id: str | None = None
    debt_id: str | None = None
    local_day: str | None = None  # YYYY-MM-DD in the debtor's (or log's) zone
    local_hour: int | None = None

    @property
    def denied(self) -> bool:
        return self.judged and bool(self.rules)


@dataclass(slots=True)
class Tally:
    """回放计数 / The counts of a replay: what the summary and the report show of every call, kept as counts (a
    million calls need not stay in memory). Tallies of disjoint calls merge (`merge`) into the tally of all."""

    calls: int = 0
    judged: int = 0
    unmatched: int = 0
    denied: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, list[int]] = field(default_factory=dict)  # agency → [judged, denied]
    by_collector: dict[str, list[int]] = field(default_factory=dict)
    by_day: dict[str, list[int]] = field(default_factory=dict)  # local day (YYYY-MM-DD)
    by_hour: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in range(24)])  # local hour of day
    unmatched_reasons: dict[str, int] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)  # the log files the calls came from

    def add(self, v: Verdict) -> None:
        self.calls += 1
        self.files.add(v.call.file)
        if not v.judged:
            self.unmatched += 1
            reason = v.unmatched_reason or "unmatched"
            self.unmatched_reasons[reason] = self.unmatched_reasons.get(reason, 0) + 1
            return
        self.judged += 1
        bad = 1 if v.rules else 0
        self.denied += bad
        for rid in v.rules:
            self.by_rule[rid] = self.by_rule.get(rid, 0) + 1
        hour = v.local_hour if v.local_hour is not None else v.call.start.hour
        for row in (
            self.by_agency.setdefault(v.agency or "in-house", [0, 0]),
            self.by_collector.setdefault(v.collector or v.call.collector, [0, 0]),
            self.by_day.setdefault(v.local_day or v.call.start.date().isoformat(), [0, 0]),
            self.by_hour[hour % 24],
        ):
            row[0] += 1
            row[1] += bad

    def merge(self, other: Tally) -> None:
        self.calls += other.calls
        self.judged += other.judged
        self.unmatched += other.unmatched
        self.denied += other.denied
        for mine, theirs in ((self.by_rule, other.by_rule), (self.unmatched_reasons, other.unmatched_reasons)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n
        for table, more in ((self.by_agency, other.by_agency), (self.by_collector, other.by_collector),
                            (self.by_day, other.by_day)):
            for key, (judged, denied) in more.items():
                row = table.setdefault(key, [0, 0])
                row[0] += judged
                row[1] += denied
        for row, (judged, denied) in zip(self.by_hour, other.by_hour, strict=True):
            row[0] += judged
            row[1] += denied
        self.files |= other.files


@dataclass(slots=True)
class ReplayResult:
    """一次回放的结果 / A replay's counts, the calls that broke a rule (in file order), and the malformed rows."""

    tally: Tally = field(default_factory=Tally)
    denied: list[Verdict] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, message)

    @classmethod
    def of(cls, verdicts: Iterable[Verdict], errors: Iterable[tuple[str, int, str]] = ()) -> ReplayResult:
        """The result of these verdicts (any order; the denied ones are kept in file order)."""
        tally = Tally()
        denied = []
        for v in verdicts:
            tally.add(v)
            if v.denied:
                denied.append(v)
        denied.sort(key=lambda v: v.call.order)
        return cls(tally=tally, denied=denied, errors=list(errors))

    def summary(self) -> dict[str, Any]:
        """The `--json` object of FORMAT.md."""
        t = self.tally

        def rows(table: dict[str, list[int]]) -> dict[str, dict[str, int]]:
            return {key: {"judged": judged, "denied": denied} for key, (judged, denied) in sorted(table.items())}

        return {
            "calls": t.calls,
            "judged": t.judged,
            "unmatched": t.unmatched,
            "denied": t.denied,
            "by_rule": dict(sorted(t.by_rule.items())),
            "by_agency": rows(t.by_agency),
            "by_collector": rows(t.by_collector),
            "by_day": rows(t.by_day),
            "unmatched_reasons": dict(sorted(t.unmatched_reasons.items())),
            "violations": [
                {"line": v.call.line, "uniqueid": v.call.uniqueid, "collector": v.collector or v.call.collector,
                 "rules": list(v.rules)}
                for v in self.denied
            ],
        }

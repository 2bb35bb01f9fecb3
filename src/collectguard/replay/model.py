"""回放的数据模型 / Data model of a replay: calls read from logs, verdicts, and the result summary.

Pure dataclasses, no I/O. The summary is exactly the `--json` object of shared/replay/FORMAT.md.
"""

from __future__ import annotations

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

    @property
    def effective(self) -> bool:
        return self.connected and self.duration_s >= 6


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
class ReplayResult:
    """一次回放的结果 / All verdicts (in file order) and the malformed rows."""

    verdicts: list[Verdict] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, message)

    def summary(self) -> dict[str, Any]:
        """The `--json` object of FORMAT.md."""
        judged = denied = unmatched = 0
        by_rule: dict[str, int] = {}
        by_agency: dict[str, dict[str, int]] = {}
        by_collector: dict[str, dict[str, int]] = {}
        by_day: dict[str, dict[str, int]] = {}
        reasons: dict[str, int] = {}
        violations: list[dict[str, Any]] = []
        for v in self.verdicts:
            if not v.judged:
                unmatched += 1
                r = v.unmatched_reason or "unmatched"
                reasons[r] = reasons.get(r, 0) + 1
                continue
            judged += 1
            bad = bool(v.rules)
            if bad:
                denied += 1
                for rid in v.rules:
                    by_rule[rid] = by_rule.get(rid, 0) + 1
                violations.append(
                    {
                        "line": v.call.line,
                        "uniqueid": v.call.uniqueid,
                        "collector": v.collector or v.call.collector,
                        "rules": list(v.rules),
                    }
                )
            for table, key in (
                (by_agency, v.agency or "in-house"),
                (by_collector, v.collector or v.call.collector),
                (by_day, v.local_day or v.call.start.date().isoformat()),
            ):
                row = table.setdefault(key, {"judged": 0, "denied": 0})
                row["judged"] += 1
                if bad:
                    row["denied"] += 1
        return {
            "calls": len(self.verdicts),
            "judged": judged,
            "unmatched": unmatched,
            "denied": denied,
            "by_rule": dict(sorted(by_rule.items())),
            "by_agency": dict(sorted(by_agency.items())),
            "by_collector": dict(sorted(by_collector.items())),
            "by_day": dict(sorted(by_day.items())),
            "unmatched_reasons": dict(sorted(reasons.items())),
            "violations": violations,
        }

"""What the planner reads (the day's worklist) and what it returns (the schedule and its summary)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, TypeVar

from collectguard.errors import InvalidInput
from collectguard.rulebook.vocabulary import Channel

T = TypeVar("T")

# The dialer's list import: one row per planned contact, start in the debtor's zone (ISO 8601 with offset).
EXPORT_COLUMNS = ("debt", "party", "collector", "tool", "template", "envelope_template", "channel", "mode", "start",
                  "priority")


@dataclass(frozen=True)
class Wanted:
    """One row of the worklist: a debt to contact on the day, how important, on which channel."""

    line: int
    debt: str
    priority: float
    channel: Channel


@dataclass(frozen=True)
class Planned:
    wanted: Wanted
    party: str
    collector: str
    tool: str | None
    template: str | None
    mode: str
    start: datetime  # aware, in the debtor's zone
    envelope: str | None = None

    def row(self) -> dict[str, str]:
        return {"debt": self.wanted.debt, "party": self.party, "collector": self.collector, "tool": self.tool or "",
                "template": self.template or "", "envelope_template": self.envelope or "", "channel": self.wanted.channel.value, "mode": self.mode,
                "start": self.start.isoformat(), "priority": f"{self.wanted.priority:g}"}


@dataclass(frozen=True)
class Unplanned:
    wanted: Wanted
    reason_zh: str
    reason_en: str


@dataclass
class PlanResult:
    planned: list[Planned] = field(default_factory=list)
    unplanned: list[Unplanned] = field(default_factory=list)

    @property
    def priority_reached(self) -> float:
        return sum(p.wanted.priority for p in self.planned)

    @property
    def priority_wanted(self) -> float:
        return self.priority_reached + sum(u.wanted.priority for u in self.unplanned)

    def in_time_order(self) -> list[Planned]:
        return sorted(self.planned, key=lambda p: (p.start, p.wanted.line))

    def summary(self) -> dict[str, Any]:
        wanted = self.priority_wanted
        return {
            "planned": len(self.planned),
            "not_plannable": len(self.unplanned),
            "priority_reached": round(self.priority_reached, 6),
            "priority_wanted": round(wanted, 6),
            "priority_share": round(self.priority_reached / wanted, 4) if wanted else 1.0,
            "reasons": [{"line": u.wanted.line, "debt": u.wanted.debt, "zh": u.reason_zh, "en": u.reason_en}
                        for u in sorted(self.unplanned, key=lambda u: u.wanted.line)],
        }

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for p in self.in_time_order():
            writer.writerow(p.row())
        return out.getvalue()


def _read_csv(text: str, required: tuple[str, ...], no_header: InvalidInput, what: tuple[str, str],
              row_of: Callable[[int, dict[str, str]], T]) -> list[T]:
    """Each row of a CSV with a header (cells stripped) through `row_of(line, row)`. A header without the
    `required` columns raises `no_header`; a row `row_of` refuses (ValueError, KeyError) raises with its line
    number, the file called `what` (Chinese, English)."""
    reader = csv.DictReader(io.StringIO(text))
    if not set(required) <= {n.strip() for n in reader.fieldnames or ()}:
        raise no_header
    out: list[T] = []
    for number, raw in enumerate(reader, start=2):
        try:
            out.append(row_of(number, {(k or "").strip(): (v or "").strip() for k, v in raw.items()}))
        except (ValueError, KeyError) as exc:
            raise InvalidInput(f"{what[0]}第 {number} 行无效：{exc}", f"{what[1]} line {number} is invalid: {exc}") \
                from exc
    return out


def read_worklist(text: str) -> list[Wanted]:
    """Parse the worklist CSV (header: debt, priority, channel; channel defaults to voice). A bad row raises
    with its line number."""

    def wanted(number: int, row: dict[str, str]) -> Wanted:
        if not row["debt"]:
            raise ValueError("empty debt")
        return Wanted(number, row["debt"], float(row.get("priority") or 1), Channel(row.get("channel") or "voice"))

    return _read_csv(text, ("debt",), InvalidInput("工作清单须有表头 debt, priority, channel",
                                                   "the worklist needs a header: debt, priority, channel"),
                     ("工作清单", "worklist"), wanted)


def read_shifts(text: str) -> dict[str, tuple[time, time, int | None]]:
    """Parse a shifts CSV (header: collector, from, to[, calls_per_hour]; times HH:MM in the institution's zone):
    collector → (from, to, calls per hour or None for the default). A bad row raises with its line number."""
    shifts: dict[str, tuple[time, time, int | None]] = {}

    def shift(_: int, row: dict[str, str]) -> None:
        collector = row["collector"]
        if not collector:
            raise ValueError("empty collector")
        if collector in shifts:
            raise ValueError(f"collector {collector} appears twice")
        start, end = time.fromisoformat(row["from"]), time.fromisoformat(row["to"])
        if end <= start:
            raise ValueError(f"the shift ends ({end:%H:%M}) before it starts ({start:%H:%M})")
        per_hour = int(row["calls_per_hour"]) if row.get("calls_per_hour") else None
        if per_hour is not None and not 1 <= per_hour <= 60:
            raise ValueError(f"calls_per_hour {per_hour} is not 1–60")
        shifts[collector] = (start, end, per_hour)

    _read_csv(text, ("collector", "from", "to"),
              InvalidInput("班次表须有表头 collector, from, to[, calls_per_hour]",
                           "the shifts file needs a header: collector, from, to[, calls_per_hour]"),
              ("班次表", "shifts"), shift)
    return shifts

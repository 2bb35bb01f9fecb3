"""What the planner reads (the day's worklist) and what it returns (the schedule and its summary)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from collectguard.errors import InvalidInput
from collectguard.rulebook.vocabulary import Channel

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


def read_worklist(text: str) -> list[Wanted]:
    """Parse the worklist CSV (header: debt, priority, channel; channel defaults to voice). A bad row raises
    with its line number."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "debt" not in [n.strip() for n in reader.fieldnames]:
        raise InvalidInput("工作清单须有表头 debt, priority, channel", "the worklist needs a header: debt, priority, channel")
    rows: list[Wanted] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
            debt = row["debt"]
            if not debt:
                raise ValueError("empty debt")
            priority = float(row.get("priority") or 1)
            channel = Channel(row.get("channel") or "voice")
        except (ValueError, KeyError) as exc:
            raise InvalidInput(f"工作清单第 {number} 行无效：{exc}", f"worklist line {number} is invalid: {exc}") from exc
        rows.append(Wanted(number, debt, priority, channel))
    return rows


def read_shifts(text: str) -> dict[str, tuple[time, time, int | None]]:
    """Parse a shifts CSV (header: collector, from, to[, calls_per_hour]; times HH:MM in the institution's zone):
    collector → (from, to, calls per hour or None for the default). A bad row raises with its line number."""
    reader = csv.DictReader(io.StringIO(text))
    names = [n.strip() for n in reader.fieldnames or ()]
    if not {"collector", "from", "to"} <= set(names):
        raise InvalidInput("班次表须有表头 collector, from, to[, calls_per_hour]",
                           "the shifts file needs a header: collector, from, to[, calls_per_hour]")
    shifts: dict[str, tuple[time, time, int | None]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
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
        except (ValueError, KeyError) as exc:
            raise InvalidInput(f"班次表第 {number} 行无效：{exc}", f"shifts line {number} is invalid: {exc}") from exc
        shifts[collector] = (start, end, per_hour)
    return shifts

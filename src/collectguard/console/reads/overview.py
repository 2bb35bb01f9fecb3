"""What the overview shows, read from the pre-aggregated daily figures (gate/daily.py), the QA findings and the
obligations calendar: a few hundred rows whatever the number of attempts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from collectguard.console.reads.rules import RuleRow, cite
from collectguard.gate import daily
from collectguard.oversight import calendar
from collectguard.oversight.schemas import ObligationOut
from collectguard.qa.storage import QaFindingRow
from collectguard.registry import models as m

WINDOW_DAYS = 30
CALL_CHANNELS = ("voice", "video")  # a QA finding is about a call: per 1,000 connected calls of these channels


@dataclass(frozen=True)
class Overview:
    today: date
    first_day: date
    day: daily.Totals  # today
    window: daily.Totals  # the 30 days up to today
    per_day: list[daily.Totals]
    by_rule: list[RuleRow]
    by_org: list[tuple[str, str, daily.Totals]]  # id, name, totals
    by_channel: list[daily.Totals]
    findings: int
    calls: int
    overdue: list[ObligationOut]
    due: int
    obligation_counts: dict[str, int]

    @property
    def findings_per_1000(self) -> float | None:
        return self.findings * 1000 / self.calls if self.calls else None

    @staticmethod
    def rate(t: daily.Totals) -> float | None:
        return 100 * t.denied / t.attempts if t.attempts else None


def _sum(rows: list[daily.Totals], key: object) -> daily.Totals:
    return daily.Totals(key, *(sum(getattr(r, c) for r in rows) for c in daily.COUNTERS))


def _findings(session: Session, institution: str, first: date, last: date, orgs: Collection[str] | None) -> int:
    query = select(func.count()).select_from(QaFindingRow).where(
        QaFindingRow.institution_id == institution, QaFindingRow.day >= first, QaFindingRow.day <= last,
        QaFindingRow.seq > literal_column("0"))  # a literal: the partial index ix_qa_findings_found matches it
    if orgs is not None:
        query = query.where(QaFindingRow.org_id.in_(sorted(orgs)))
    return int(session.execute(query).scalar() or 0)


def _names(session: Session, ids: Collection[str]) -> dict[str, str]:
    names = {a.id: a.name for a in session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(ids)))}
    names.update({i.id: i.name for i in session.execute(
        select(m.Institution.id, m.Institution.name).where(m.Institution.id.in_(ids)))})
    return names


def overview(session: Session, institution: str, now: datetime, orgs: Collection[str] | None) -> Overview:
    """`orgs`: an agency-bound viewer's organisations (its own), None for the institution's people."""
    today = daily.today(session, institution, now)
    first = today - timedelta(days=WINDOW_DAYS - 1)
    per_day = daily.totals(session, institution, first, today, orgs=orgs)
    by_org = daily.by_org(session, institution, first, today, orgs=orgs)
    by_channel = daily.by_channel(session, institution, first, today, orgs=orgs)
    names = _names(session, [t.key for t in by_org])
    calls = sum(t.connected for t in by_channel if t.key in CALL_CHANNELS)
    cal = calendar.calendar(session, institution, now, agency=orgs and next(iter(orgs)) or None)
    overdue = sorted((i for i in cal.items if i.status == "overdue"),
                     key=lambda i: (i.due_date or date.max, i.obligation))
    return Overview(
        today=today, first_day=first, day=per_day[-1], window=_sum(per_day, "window"), per_day=per_day,
        by_rule=[RuleRow(cite(r.rule), r.n) for r in daily.denials_by_rule(session, institution, first, today,
                                                                            orgs=orgs)],
        by_org=[(t.key, names.get(t.key, t.key), t) for t in by_org], by_channel=by_channel,
        findings=_findings(session, institution, first, today, orgs), calls=calls, overdue=overdue,
        due=cal.counts.get("due", 0), obligation_counts=cal.counts)

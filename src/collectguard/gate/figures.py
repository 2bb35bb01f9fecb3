"""A collector's figures for one day: what it asked, what the gate answered, what happened — and the contacts
it made although the gate denied them (RULES.md, Counting and concurrency: they count like any other, and
are flagged as made against a deny).

The day is a natural day in Asia/Shanghai, where the institution works. An attempt is counted on the day it
was asked; a contact on the day it counts on under the caps (`rulebook.usage.counted_at`: an allowed one on
the day its lease was taken, one made against a deny on the day it ended when its outcome says so).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.registry import tenancy
from collectguard.rulebook.usage import counted_at
from collectguard.rulebook.vocabulary import LeaseState

FIGURES_ZONE = ZoneInfo("Asia/Shanghai")


class CollectorFiguresOut(BaseModel):
    collector: str = Field(description="催收人员 collector id")
    institution_id: str
    day: date = Field(description="自然日（Asia/Shanghai）the natural day, in Asia/Shanghai")
    since: AwareDatetime = Field(description="当日开始 the day's first instant")
    until: AwareDatetime = Field(description="次日开始 the next day's first instant")
    attempts: int = Field(description="当日询问闸门的尝试数 attempts the collector asked the gate about that day")
    allowed: int = Field(description="其中获准 of which allowed")
    denied: int = Field(description="其中被拒 of which denied")
    outcomes: int = Field(description="当日已报告结果的联系 contacts of the day whose outcome was reported")
    connected: int = Field(description="其中接通（送达）of which connected (delivered)")
    consumed: dict[str, int] = Field(description="计入各项每日上限的联系数 contacts that counted against each per-day "
                                                 "limit, by rule id")
    against_deny: int = Field(description="闸门拒绝后仍进行且接通的联系数 contacts made although the gate denied them "
                                          "(connected outcomes of denied attempts): each counts like any other")
    against_deny_attempts: list[str] = Field(description="这些联系的尝试编号，按时间排序 their attempt ids, in time order")
    missing_outcomes: int = Field(description="当日租约到期仍无结果的尝试数 attempts of the day whose lease expired "
                                              "without an outcome")


def day_bounds(day: date, zone: ZoneInfo = FIGURES_ZONE) -> tuple[datetime, datetime]:
    """The first instants of `day` and of the next day, in `zone` (Asia/Shanghai unless told)."""
    return (datetime.combine(day, time(), zone),
            datetime.combine(day + timedelta(days=1), time(), zone))


def in_window(since: datetime, until: datetime) -> ColumnElement[bool]:
    """The attempts a period's figures read: those asked in [since, until), and those asked before it whose
    outcome says they ended in it (a contact made against a deny counts on the day it ended, `counted_at`).
    Shared with collectguard.monitoring (every collector of an institution at once)."""
    return and_(AttemptRow.at < until, or_(AttemptRow.at >= since, AttemptRow.ended_at >= since))


def visible_collector(session: Session, institution_id: str, collector_id: str,
                      orgs: Collection[str] | None) -> m.Collector:
    """The collector, if the caller may read its figures: for an agency-bound caller (`orgs`: its agency and
    subcontractors) one of its own; for an institution one of its own or of an agency it works with. Anything
    else is not found, as if it did not exist (art. 19(五))."""
    row = session.get(m.Collector, collector_id)
    visible = row is not None and (
        row.org_id in orgs if orgs is not None
        else row.org_id == institution_id
        or bool(session.execute(select(tenancy.works_with(institution_id, row.org_id))).scalar()))
    if not visible:
        raise NotFound("collector", collector_id, field="collector")
    assert row is not None
    return row


def collector_figures(session: Session, institution_id: str, collector_id: str, day: date, now: datetime, *,
                      shown: Callable[[str], str] = str) -> CollectorFiguresOut:
    """The figures of one collector's attempts for `institution_id` on `day` (see the module's docstring).
    `shown`: the attempt id as the caller knows it (the API stores a reused id under its institution)."""
    since, until = day_bounds(day)
    rows = session.execute(
        select(AttemptRow.id, AttemptRow.at, AttemptRow.allowed, AttemptRow.connected, AttemptRow.outcome_at,
               AttemptRow.ended_at, AttemptRow.quota_rule, AttemptRow.lease_state, AttemptRow.lease_expires_at,
               AttemptRow.against_deny)
        .where(AttemptRow.institution_id == institution_id, AttemptRow.collector_id == collector_id,
               in_window(since, until))
        .order_by(AttemptRow.at, AttemptRow.id)
    ).all()
    asked = [r for r in rows if since <= r.at < until]
    contacts = [r for r in rows if r.outcome_at is not None and since <= counted_at(r) < until]
    missing = [r for r in asked if r.outcome_at is None and r.lease_expires_at is not None
               and (r.lease_state == LeaseState.EXPIRED.value
                    or (r.lease_state == LeaseState.HELD.value and r.lease_expires_at <= now))]
    against = sorted((r for r in contacts if r.against_deny), key=lambda r: (counted_at(r), r.id))
    consumed = Counter(r.quota_rule for r in contacts if r.lease_state == LeaseState.CONSUMED.value and r.quota_rule)
    return CollectorFiguresOut(
        collector=collector_id, institution_id=institution_id, day=day, since=since, until=until,
        attempts=len(asked), allowed=sum(1 for r in asked if r.allowed), denied=sum(1 for r in asked if not r.allowed),
        outcomes=len(contacts), connected=sum(1 for r in contacts if r.connected),
        consumed=dict(sorted(consumed.items())), against_deny=len(against),
        against_deny_attempts=[shown(r.id) for r in against], missing_outcomes=len(missing),
    )

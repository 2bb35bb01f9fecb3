"""Missing outcomes: leases whose outcome never came (a dialer that stopped reporting).

A lease that expires without an outcome counts as consumed (fail safe: the caps still hold), and
`Gate.expire_leases` records each one in the ledger (`gate:lease:expired`, with the institution). This
module answers who stopped reporting: the attempts whose lease expired in a period and whose outcome has
not arrived since, grouped by collector. A late outcome settles the lease, so the attempt leaves the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collectguard.errors import InvalidInput
from collectguard.gate.models import AttemptRow
from collectguard.registry import models as m
from collectguard.rulebook.vocabulary import LeaseState

DEFAULT_PERIOD = timedelta(days=1)
MAX_PERIOD = timedelta(days=31)


class CollectorMissing(BaseModel):
    collector: str = Field(description="催收人员 collector id")
    count: int = Field(description="缺失结果的尝试数 attempts whose outcome is missing")
    attempts: list[str] = Field(description="尝试编号，按租约到期时间排序 attempt ids, by lease expiry")


class MissingOutcomesOut(BaseModel):
    institution_id: str
    since: AwareDatetime = Field(description="租约到期时间下限（含）leases that expired at or after this")
    until: AwareDatetime = Field(description="租约到期时间上限（不含）… and before this")
    total: int
    collectors: list[CollectorMissing] = Field(description="按缺失数从多到少 most missing first")


def period(since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The period asked for: by default the last day up to now; at most 31 days, `since` before `until`."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} 必须带时区", f"`{name}` must be timezone-aware", field=name)
    end = until or now
    start = since or end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidInput("since 须早于 until", "`since` must be before `until`", field="since")
    if end - start > MAX_PERIOD:
        raise InvalidInput("查询期间最长 31 天", "the period is at most 31 days", field="since")
    return start, end


def missing_outcomes(
    session: Session,
    institution_id: str,
    since: datetime,
    until: datetime,
    now: datetime,
    *,
    orgs: Collection[str] | None = None,
    shown: Callable[[str], str] = str,
) -> MissingOutcomesOut:
    """Attempts of `institution_id` whose lease expired in [since, until) (and by `now`) without an outcome,
    per collector. `orgs`: only collectors of these organisations (an agency and its subcontractors).
    `shown`: the attempt id as the caller knows it (the API stores a reused id under its institution)."""
    expired_by = min(until, now)
    stmt = (
        select(AttemptRow.collector_id, AttemptRow.id)
        .where(
            AttemptRow.institution_id == institution_id,
            AttemptRow.outcome_at.is_(None),
            AttemptRow.lease_expires_at >= since,
            AttemptRow.lease_expires_at < until,
            or_(AttemptRow.lease_state == LeaseState.EXPIRED.value,
                and_(AttemptRow.lease_state == LeaseState.HELD.value, AttemptRow.lease_expires_at <= expired_by)),
        )
        .order_by(AttemptRow.lease_expires_at, AttemptRow.id)
    )
    if orgs is not None:
        stmt = stmt.where(AttemptRow.collector_id.in_(select(m.Collector.id).where(m.Collector.org_id.in_(list(orgs)))))
    grouped: dict[str, list[str]] = defaultdict(list)
    for collector, attempt in session.execute(stmt):
        grouped[collector].append(shown(attempt))
    collectors = sorted(
        (CollectorMissing(collector=c, count=len(ids), attempts=ids) for c, ids in grouped.items()),
        key=lambda item: (-item.count, item.collector),
    )
    return MissingOutcomesOut(institution_id=institution_id, since=since, until=until,
                              total=sum(c.count for c in collectors), collectors=collectors)

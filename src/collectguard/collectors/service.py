"""Collectors (people and AI voice agents) and their qualifications: create and change, in the caller's
transaction, each change in the ledger. A collector is a shared record of its own organisation (art. 19(五)):
every institution that entrusts that organisation finds the change in its own ledger. Services never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from collectguard.collectors import models as cm
from collectguard.collectors.schemas import CollectorStatusIn, TrainingIn
from collectguard.errors import InvalidInput, NotFound
from collectguard.ledger.tags import Tag
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.schemas import EventOut
from collectguard.registry.unit import Unit
from collectguard.rulebook.calendar import local_date

TRAINING_ZONE = ZoneInfo("Asia/Shanghai")


DAY_LABELS = {"date": ("培训日期", "the training day"), "pre_job_exam": ("岗前考试日期", "the pre-job exam day"),
              "last_training": ("最近培训日期", "the last training day")}


def refuse_future_days(at: datetime, days: dict[str, date | None], *, code: str = "day-in-future",
                       zones: list[str] | None = None) -> None:
    """A qualification day may not be after today: a future exam or training day would qualify a collector before
    it happened, and for ever after. Today is the latest local date among `zones` — the zones of the institutions
    the collector works for (default Asia/Shanghai): a day that has begun for one of them has happened. The routes
    check what they are sent; scenario files and imports may still describe exams to come, which the rulebook
    judges by the attempt's day."""
    names = zones or [TRAINING_ZONE.key]
    today, zone = max((local_date(at, ZoneInfo(z)), z) for z in names)
    for name, day in days.items():
        if day is not None and day > today:
            zh, en = DAY_LABELS[name]
            raise InvalidInput(f"{zh} {day} 晚于今天（{today}，{zone}）", f"{en} {day} is after today ({today}, {zone})",
                               field=name, code=code)


def zones_of(unit: Unit, institutions: list[str]) -> list[str]:
    """The zones the institutions count their days in (institutions.timezone)."""
    if not institutions:
        return []
    return sorted(set(unit.session.execute(select(m.Institution.timezone).where(
        m.Institution.id.in_(institutions))).scalars()))


def add_collector(unit: Unit, data: s.CollectorIn) -> cm.Collector:
    if not unit.org_exists(data.org):
        raise NotFound("organisation", data.org, field="org")
    row = cm.Collector(
        id=data.id,
        org_id=data.org,
        kind=data.kind,
        status=data.status,
        pre_job_exam=data.pre_job_exam,
        pledge_signed=data.pledge_signed,
        last_training=data.last_training,
        approved=data.approved,
    )
    unit.new(row, "collector", data.id, Tag.COLLECTOR_CREATED, data.model_dump(mode="json"),
             tenancy.institutions_of_org(unit.session, data.org))
    if data.last_training is not None:
        unit.session.add(cm.Training(collector_id=data.id, day=data.last_training))
    return row


def update_collector(unit: Unit, ident: str, changes: dict[str, Any]) -> cm.Collector:
    """Qualifications only (the collector's shared record: changed by its own organisation or the platform);
    status and trainings change through their own events. Recorded for every institution it concerns."""
    row = unit.get(cm.Collector, ident, kind="collector")
    for attr, value in changes.items():
        setattr(row, attr, value)
    unit.record_for_org(Tag.COLLECTOR_UPDATED, ident, changes, row.org_id)
    return row


def collector_status(unit: Unit, data: CollectorStatusIn, *, institution: str | None = None) -> EventOut:
    """A collector's status. From the collector's own organisation (or the platform: `institution` None) it
    changes the shared record; from an institution about another organisation's collector it is that
    institution's own acceptance, which no other institution's gate reads (art. 19(五))."""
    collector = unit.get(cm.Collector, data.collector, kind="collector", field="collector")
    if institution is not None and collector.org_id != institution:
        acceptance = unit.session.get(cm.CollectorAcceptance, (institution, collector.id))
        if acceptance is None:
            unit.session.add(cm.CollectorAcceptance(institution_id=institution, collector_id=collector.id,
                                                    status=data.status, since=unit.at))
        else:
            acceptance.status, acceptance.since = data.status, unit.at
        seq = unit.record(Tag.COLLECTOR_ACCEPTANCE_CHANGED, collector.id, {"status": data.status}, institution)
        return EventOut(kind=Tag.COLLECTOR_ACCEPTANCE_CHANGED, subject=collector.id, ledger_seq=seq)
    collector.status = data.status
    seq = unit.record_for_org(Tag.COLLECTOR_STATUS_CHANGED, collector.id, {"status": data.status}, collector.org_id)
    return EventOut(kind=Tag.COLLECTOR_STATUS_CHANGED, subject=collector.id, ledger_seq=seq)


def training(unit: Unit, data: TrainingIn, *, institution: str | None = None) -> EventOut:
    """A training passed. Recorded by the collector's own organisation (or the platform) it is shared; recorded
    by an institution for another organisation's collector it counts for that institution only. A day after
    today (in China, Asia/Shanghai, where the request is made) is refused: it would qualify the collector
    before the training took place, and for ever after."""
    collector = unit.get(cm.Collector, data.collector, kind="collector", field="collector")
    concerned = [institution] if institution is not None else tenancy.institutions_of_org(unit.session,
                                                                                           collector.org_id)
    refuse_future_days(unit.at, {"date": data.date}, code="training-in-future", zones=zones_of(unit, concerned))
    if institution is not None and collector.org_id != institution:
        unit.session.add(cm.Training(collector_id=collector.id, day=data.date, institution_id=institution))
        seq = unit.record(Tag.COLLECTOR_TRAINING_RECOGNISED, collector.id, {"date": data.date}, institution)
        return EventOut(kind=Tag.COLLECTOR_TRAINING_RECOGNISED, subject=collector.id, ledger_seq=seq)
    unit.session.add(cm.Training(collector_id=collector.id, day=data.date))
    if collector.last_training is None or data.date > collector.last_training:
        collector.last_training = data.date
    seq = unit.record_for_org(Tag.COLLECTOR_TRAINING_RECORDED, collector.id, {"date": data.date}, collector.org_id)
    return EventOut(kind=Tag.COLLECTOR_TRAINING_RECORDED, subject=collector.id, ledger_seq=seq)

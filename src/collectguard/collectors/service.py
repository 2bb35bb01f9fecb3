"""Collectors (people and AI voice agents) and their qualifications: create and change, in the caller's
transaction, each change in the ledger. A collector is a shared record of its own organisation (art. 19(五)):
every institution that entrusts that organisation finds the change in its own ledger. Services never commit."""

from __future__ import annotations

from typing import Any

from collectguard.collectors import models as cm
from collectguard.errors import NotFound
from collectguard.ledger.tags import Tag
from collectguard.registry import schemas as s
from collectguard.registry import tenancy
from collectguard.registry.unit import Unit


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

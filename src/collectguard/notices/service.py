"""Queue stop notices, acknowledge them and set endpoints (agencies' for stop notices, an institution's own for
obligation alerts), in the caller's transaction, each in the ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from collectguard.errors import NotFound
from collectguard.ledger.tags import Tag
from collectguard.notices import outbox
from collectguard.notices.models import (
    NO_ALERT_ENDPOINT,
    NO_ENDPOINT,
    AgencyEndpoint,
    InstitutionEndpoint,
    NoticeKind,
    NoticeStatus,
    OutboxRow,
)
from collectguard.notices.schemas import EndpointIn
from collectguard.registry import models as m
from collectguard.registry.unit import Unit


def stop_notice(unit: Unit, institution: str, agency: str, debt_id: str, detail: dict[str, Any]) -> str:
    """Art. 11(五): tell the holding agency to stop, in the same transaction as the cause (a settlement, a hold); the
    outbox delivers it (signed webhook, retries), so a crash after commit loses nothing. Returns the notice's id."""
    stop = {"agency": agency, **detail}
    notice = outbox.enqueue(unit.session, institution_id=institution, agency_id=agency, debt_id=debt_id,
                            reason=detail["reason"], payload=stop, at=unit.at)
    unit.record(Tag.STOP_NOTICE_QUEUED, debt_id, {**stop, "notice": notice}, institution)
    return notice


def acknowledge(registry: Unit, notice_id: str, *, institution_id: str, agency_id: str,
                note: str | None) -> OutboxRow:
    """The agency confirms it stopped. Idempotent: a second acknowledgement changes nothing and is not
    recorded again. A notice of another institution or agency is not found."""
    session = registry.session
    row = session.get(OutboxRow, notice_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if row is None or row.institution_id != institution_id or row.agency_id != agency_id:
        raise NotFound("notice", notice_id, field="id")
    if row.acknowledged_at is not None:
        return row
    row.acknowledged_at = registry.at
    row.ack_note = note
    registry.record(Tag.NOTICE_ACKNOWLEDGED, row.id,
                    {"agency": agency_id, "debt": row.debt_id, "note": note}, institution_id)
    return row


def set_endpoint(registry: Unit, institution_id: str, agency_id: str, data: EndpointIn) -> AgencyEndpoint:
    """Create or replace an agency's webhook endpoint for one institution. Notices that waited for want of
    an endpoint become due at once. The secret is not recorded in the ledger."""
    session = registry.session
    listed = session.get(m.AgencyListing, (institution_id, agency_id)) is not None
    approved = session.get(m.SubcontractorApproval, (institution_id, agency_id)) is not None
    if session.get(m.Agency, agency_id) is None or not (listed or approved):
        raise NotFound("agency", agency_id, field="agency")
    row = session.get(AgencyEndpoint, (institution_id, agency_id))
    created = row is None
    if row is None:
        row = AgencyEndpoint(institution_id=institution_id, agency_id=agency_id, url=data.url, secret=data.secret,
                             active=data.active, updated_at=registry.at)
        session.add(row)
    else:
        row.url, row.secret, row.active, row.updated_at = data.url, data.secret, data.active, registry.at
    if data.active:
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.institution_id == institution_id, OutboxRow.agency_id == agency_id,
                   OutboxRow.status == NoticeStatus.PENDING, OutboxRow.last_error == NO_ENDPOINT,
                   OutboxRow.next_attempt_at > registry.at)
            .values(next_attempt_at=registry.at)
        )
    registry.record(Tag.NOTICE_ENDPOINT_CREATED if created else Tag.NOTICE_ENDPOINT_CHANGED, agency_id,
                    {"url": data.url, "active": data.active}, institution_id)
    return row



def set_alert_endpoint(unit: Unit, institution_id: str, data: EndpointIn) -> InstitutionEndpoint:
    """Create or replace the institution's own webhook for obligation alerts (signed as stop notices are,
    `notices.signing`). Alerts that waited for want of an endpoint become due at once. The secret is not
    recorded in the ledger."""
    session = unit.session
    if session.get(m.Institution, institution_id) is None:
        raise NotFound("institution", institution_id, field="institution_id")
    row = session.get(InstitutionEndpoint, institution_id)
    created = row is None
    if row is None:
        row = InstitutionEndpoint(institution_id=institution_id, url=data.url, secret=data.secret,
                                  active=data.active, updated_at=unit.at)
        session.add(row)
    else:
        row.url, row.secret, row.active, row.updated_at = data.url, data.secret, data.active, unit.at
    if data.active:
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.institution_id == institution_id, OutboxRow.kind == NoticeKind.OBLIGATION_ALERT,
                   OutboxRow.status == NoticeStatus.PENDING, OutboxRow.last_error == NO_ALERT_ENDPOINT,
                   OutboxRow.next_attempt_at > unit.at)
            .values(next_attempt_at=unit.at)
        )
    unit.record(Tag.ALERT_ENDPOINT_CREATED if created else Tag.ALERT_ENDPOINT_CHANGED, institution_id,
                {"url": data.url, "active": data.active}, institution_id)
    return row


def alert_endpoint(session: Session, institution_id: str) -> InstitutionEndpoint:
    """The institution's alert webhook; not found when none was set."""
    row = session.get(InstitutionEndpoint, institution_id)
    if row is None:
        raise NotFound("alert-endpoint", institution_id, field="institution_id")
    return row

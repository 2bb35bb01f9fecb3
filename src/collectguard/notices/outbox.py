"""Write stop notices into the outbox, in the caller's transaction (never commits)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from collectguard.errors import InvalidInput
from collectguard.notices.models import NoticeStatus, OutboxRow

PREFIX = "ntc_"


def new_id() -> str:
    return PREFIX + uuid.uuid4().hex


def enqueue(
    session: Session,
    *,
    institution_id: str,
    agency_id: str,
    debt_id: str,
    reason: str,
    payload: dict[str, Any] | None = None,
    at: datetime,
) -> str:
    """Queue one stop notice, due at once, and return its id (the id agencies deduplicate on).

    # INVARIANT: called inside the transaction that settles the debt or places the hold, so the notice
    # exists if and only if the event was committed.
    """
    if at.tzinfo is None:
        raise InvalidInput("时间必须带时区", "`at` must be timezone-aware", field="at")
    notice_id = new_id()
    session.add(
        OutboxRow(
            id=notice_id,
            institution_id=institution_id,
            agency_id=agency_id,
            debt_id=debt_id,
            reason=reason,
            payload=dict(payload or {}),
            created_at=at,
            status=NoticeStatus.PENDING,
            attempts=0,
            next_attempt_at=at,
        )
    )
    return notice_id


def message(debt_id: str, reason: str) -> tuple[str, str]:
    """What the notice says, in Chinese and English."""
    zh_reason = "债务已结清" if reason == "settled" else f"暂停催收（{reason}）"
    en_reason = "the debt is settled" if reason == "settled" else f"collection is on hold ({reason})"
    return (
        f"请立即停止对债务 {debt_id} 的一切催收：{zh_reason}（《指引》第十一条第（五）项）",
        f"Stop all collection of debt {debt_id} at once: {en_reason} (art. 11(5))",
    )


def body(row: OutboxRow) -> dict[str, Any]:
    """The JSON document POSTed to the agency; stable across retries (the attempt number is a header)."""
    zh, en = message(row.debt_id, row.reason)
    return {
        "id": row.id,
        "type": "stop-notice",
        "institution": row.institution_id,
        "agency": row.agency_id,
        "debt": row.debt_id,
        "reason": row.reason,
        "created_at": row.created_at.isoformat(),
        "message_zh": zh,
        "message_en": en,
        "detail": row.payload,
    }

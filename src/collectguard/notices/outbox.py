"""Write stop notices and obligation alerts into the outbox, in the caller's transaction (never commits), and
the JSON document each delivery POSTs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collectguard.errors import InvalidInput
from collectguard.notices.models import NoticeKind, NoticeStatus, OutboxRow

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


def enqueue_alert(
    session: Session,
    *,
    institution_id: str,
    dedupe_key: str,
    reason: str,
    payload: dict[str, Any],
    at: datetime,
) -> str | None:
    """Queue one obligation alert to the institution's own endpoint, due at once, unless an alert with this
    `dedupe_key` exists: its id, or None when it was already queued (by this or any concurrent transaction).

    # INVARIANT: once per key, enforced by the database (the unique index `ux_outbox_dedupe_key`, written with
    # INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL): two passes racing queue one row and neither
    # fails; on PostgreSQL the second waits for the first's commit, then inserts nothing.
    """
    if at.tzinfo is None:
        raise InvalidInput("时间必须带时区", "`at` must be timezone-aware", field="at")
    notice_id = new_id()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if dialect not in ("postgresql", "sqlite"):
        raise InvalidInput("不支持的数据库", f"unsupported database {dialect}", field="db")
    stmt = insert(cast(Table, OutboxRow.__table__)).values(
        id=notice_id, kind=NoticeKind.OBLIGATION_ALERT.value, institution_id=institution_id, agency_id=None,
        debt_id=None, dedupe_key=dedupe_key, reason=reason, payload=dict(payload), created_at=at,
        status=NoticeStatus.PENDING.value, attempts=0, next_attempt_at=at,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxRow.id)
    return session.execute(stmt).scalar_one_or_none()  # None: nothing inserted (psycopg's rowcount says -1)


def message(debt_id: str, reason: str) -> tuple[str, str]:
    """What the notice says, in Chinese and English."""
    zh_reason = "债务已结清" if reason == "settled" else f"暂停催收（{reason}）"
    en_reason = "the debt is settled" if reason == "settled" else f"collection is on hold ({reason})"
    return (
        f"请立即停止对债务 {debt_id} 的一切催收：{zh_reason}（《指引》第十一条第（五）项）",
        f"Stop all collection of debt {debt_id} at once: {en_reason} (art. 11(5))",
    )


def alert_message(detail: dict[str, Any]) -> tuple[str, str]:
    """What an obligation alert says, in Chinese and English."""
    due = detail.get("due_date") or detail.get("due_at") or "-"
    subject = detail.get("subject") or "-"
    title_zh = detail.get("title_zh") or detail.get("obligation")
    title_en = detail.get("title_en") or detail.get("obligation")
    if detail.get("status") == "overdue":
        return (f"义务已逾期：{title_zh}（对象 {subject}，期限 {due}）",
                f"Obligation overdue: {title_en} (subject {subject}, due {due})")
    return (f"义务即将到期：{title_zh}（对象 {subject}，期限 {due}）",
            f"Obligation due soon: {title_en} (subject {subject}, due {due})")


def body(row: OutboxRow) -> dict[str, Any]:
    """The JSON document POSTed (to the agency, or for an alert to the institution); stable across retries (the
    attempt number is a header)."""
    if row.kind == NoticeKind.OBLIGATION_ALERT:
        zh, en = alert_message(row.payload)
        return {
            "id": row.id,
            "type": "obligation-alert",
            "institution": row.institution_id,
            "key": row.dedupe_key,
            "obligation": row.payload.get("obligation"),
            "subject": row.payload.get("subject"),
            "status": row.reason,
            "due_date": row.payload.get("due_date"),
            "due_at": row.payload.get("due_at"),
            "day": row.payload.get("day"),
            "created_at": row.created_at.isoformat(),
            "message_zh": zh,
            "message_en": en,
            "detail": row.payload,
        }
    assert row.debt_id is not None  # a stop notice always names its debt
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

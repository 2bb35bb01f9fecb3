"""The ledger over HTTP: JSON Lines with filters, and verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from collectguard.api.deps import StoreDep, require
from collectguard.auth.roles import Permission, Principal
from collectguard.errors import CollectGuardError
from collectguard.fields import Instant
from collectguard.ledger.checkpoints import check
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify

router = APIRouter(prefix="/v1/ledger", tags=["ledger 账本"])
Reader = Annotated[Principal, Depends(require(Permission.LEDGER_READ))]


@router.get(
    "",
    summary="账本记录 Ledger records as JSON Lines",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                     "description": "One JSON object per line: seq, kind, subject, at, hash, prev_hash, body."}},
)
def records(
    p: Reader,
    store: StoreDep,
    kind: Annotated[str | None, Query(max_length=80, pattern=r"^[^\x00]*$",
                                      description="exact kind or a prefix ending in ':'")] = None,
    subject: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> StreamingResponse:
    stmt = select(LedgerRecord).where(LedgerRecord.institution_id == p.institution_id, LedgerRecord.seq > after_seq)
    if kind:
        # autoescape: % and _ in a kind are literal characters, never LIKE wildcards
        stmt = stmt.where(LedgerRecord.kind.startswith(kind, autoescape=True) if kind.endswith(":")
                          else LedgerRecord.kind == kind)
    if subject:
        stmt = stmt.where(LedgerRecord.subject == subject)
    if since:
        stmt = stmt.where(LedgerRecord.at >= since)
    if until:
        stmt = stmt.where(LedgerRecord.at < until)
    with store.read() as session:
        rows = session.execute(stmt.order_by(LedgerRecord.seq).limit(limit)).scalars().all()
        lines = [
            {"seq": r.seq, "kind": r.kind, "subject": r.subject, "at": _iso(r.at), "hash": r.hash,
             "prev_hash": r.prev_hash, "body": json.loads(r.body)}
            for r in rows
        ]

    def stream() -> Iterator[bytes]:
        for line in lines:
            yield (json.dumps(line, ensure_ascii=False) + "\n").encode()

    return StreamingResponse(stream(), media_type="application/x-ndjson")


def _iso(at: datetime) -> str:
    return at.isoformat()


@router.get("/verify", summary="校验账本 Verify the whole chain")
def verify_chain(
    p: Reader,
    store: StoreDep,
    request: Request,
    checkpoints: Annotated[bool, Query(description="also prove the chain contains every signed checkpoint in the "
                                                   "server's checkpoint directory (COLLECTGUARD_CHECKPOINT_DIR)")] = False,
) -> dict[str, object]:
    schedule = getattr(request.app.state, "checkpoints", None)  # the server's CheckpointSchedule, if any
    config = schedule.checkpointer.config if schedule is not None else None
    keys = schedule.checkpointer.keys if schedule is not None else {}
    if checkpoints and (config is None or config.directory is None):
        raise CollectGuardError("本服务未配置检查点目录", "this server keeps no checkpoint directory "
                                "(COLLECTGUARD_CHECKPOINT_KEY and COLLECTGUARD_CHECKPOINT_DIR)", field="checkpoints",
                                code="checkpoints-not-configured")
    with store.read() as session:
        result = verify(session)
        if not checkpoints or config is None or config.directory is None:
            return result.as_dict()
        report = check(session, config.directory, keys, result)
    return {**result.as_dict(), "ok": result.ok and report.ok, "checkpoints": report.as_dict()}

"""组织化“反催收”信号 The anti-collection signals over HTTP (art. 27): flags for a person to review, never a rejection.

- GET  /v1/complaint-signals?status=open           the institution's flags, newest first (masked hints)
- GET  /v1/complaint-signals/clusters?status=       complaints connected by any shared signal, largest first
- GET  /v1/complaints/{id}/signals                  a complaint's flags (raised on it, or naming it)
- POST /v1/complaint-signals/{id}/review            confirm or dismiss one flag, with why
- POST /v1/complaint-signals/clusters/{complaint}/review   the same decision on every open flag of a cluster

Institution admins, compliance officers and auditors read (`oversight:read`); admins and compliance officers decide
(`oversight:write`). An agency never sees them (minimum necessary, art. 20(三)): they are about complainants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from collectguard.api.common import Limit, Page, PathId, RowId, institution_only
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.params import Offset
from collectguard.api.responses import ERRORS
from collectguard.auth.roles import Permission, Principal
from collectguard.complaints import signal_store as store
from collectguard.complaints import signals as sig
from collectguard.complaints.models import Complaint
from collectguard.complaints.signal_models import ComplaintSignal
from collectguard.errors import NotFound
from collectguard.fields import Note
from collectguard.registry.personal import keyring_of
from collectguard.registry.schemas import Strict

router = APIRouter(prefix="/v1", tags=["complaints 投诉"], responses=ERRORS)
Reader = Annotated[Principal, Depends(require(Permission.OVERSIGHT_READ))]
Writer = Annotated[Principal, Depends(require(Permission.OVERSIGHT_WRITE))]
WHAT = "反催收信号 anti-collection signals"


class FlagStatus(StrEnum):
    OPEN = "open"  # 待复核
    CONFIRMED = "confirmed"  # 确认为组织化反催收
    DISMISSED = "dismissed"  # 排除


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


SignalName = StrEnum("SignalName", {s: s for s in sig.Signal.ALL})  # type: ignore[misc]


class SignalOut(BaseModel):
    id: int
    complaint: str
    signal: str
    label_zh: str
    label_en: str
    value_hint: str | None = Field(description="共享值的脱敏提示 the shared value, masked (138****8000)")
    shared_with: list[str] = Field(description="共享该信号的其他投诉 the other complaints that share it")
    debtors: int = Field(description="涉及的不同债务人数 distinct debtors sharing it")
    detail: dict[str, Any]
    status: FlagStatus
    raised_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_reason: str | None


class ClusterOut(BaseModel):
    id: str = Field(description="最早一件投诉的编号 the oldest complaint's id")
    complaints: list[str]
    flags: list[int]
    signals: dict[str, int]
    debtors: int
    status: FlagStatus
    first_at: datetime | None
    last_at: datetime | None
    agencies: list[str]


class ReviewBody(Strict):
    decision: Decision = Field(description="confirmed 确认 / dismissed 排除")
    reason: Note = Field(min_length=1, description="理由（必填）why (required)")


def _out(session: Any, flag: ComplaintSignal) -> SignalOut:
    return SignalOut.model_validate(store.flag_out(keyring_of(session), flag, session.get(Complaint, flag.complaint_id)))


def _cluster_out(c: store.Cluster) -> ClusterOut:
    return ClusterOut(id=c.id, complaints=c.complaints, flags=c.flags, signals=c.signals, debtors=c.debtors,
                      status=FlagStatus(c.status), first_at=c.first_at, last_at=c.last_at, agencies=c.agencies)


@router.get("/complaint-signals", response_model=Page[SignalOut],
            summary="反催收信号 Anti-collection flags for review (art. 27)")
def list_signals(p: Reader, units: UnitsDep, status: FlagStatus | None = None,
                 signal: Annotated[SignalName | None, Query(description="信号 which signal")] = None,
                 limit: Limit = 50, offset: Offset = 0) -> Page[SignalOut]:
    institution_only(p, WHAT)
    with units.read() as session:
        rows, total = store.flags(session, p.institution_id, status=status.value if status else None,
                                  signal=signal.value if signal else None, limit=limit, offset=offset)
        return Page[SignalOut](items=[_out(session, r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/complaint-signals/clusters", response_model=list[ClusterOut],
            summary="疑似批量投诉的集群 Clusters of complaints connected by shared signals")
def list_clusters(p: Reader, units: UnitsDep, status: FlagStatus | None = None) -> list[ClusterOut]:
    """Complaints connected by any shared value or near-duplicate text (dismissed flags connect nothing); a cluster
    is confirmed once any of its flags is. A confirmed cluster can be the cause of a major-risk incident
    (category anti_collection, art. 24)."""
    institution_only(p, WHAT)
    if status is FlagStatus.DISMISSED:
        return []
    with units.read() as session:
        return [_cluster_out(c) for c in store.clusters(session, p.institution_id,
                                                         status=status.value if status else None)]


@router.get("/complaints/{complaint_id}/signals", response_model=list[SignalOut],
            summary="一件投诉的反催收信号 A complaint's flags")
def complaint_signals(complaint_id: PathId, p: Reader, units: UnitsDep) -> list[SignalOut]:
    institution_only(p, WHAT)
    with units.read() as session:
        row = session.get(Complaint, complaint_id)
        if row is None or row.institution_id != p.institution_id:
            raise NotFound("complaint", complaint_id, field="id")
        return [_out(session, f) for f in store.flags_of(session, complaint_id)]


@router.post("/complaint-signals/{flag_id}/review", response_model=SignalOut,
             summary="复核一个信号 Confirm or dismiss a flag")
def review_signal(flag_id: RowId, body: ReviewBody, p: Writer, units: UnitsDep, at: Now) -> SignalOut:
    institution_only(p, WHAT)
    with units.write(at) as unit:
        flag = store.review(unit, flag_id, body.decision.value, body.reason, by=p.key_id, institution=p.institution_id)
        return _out(unit.session, flag)


@router.post("/complaint-signals/clusters/{complaint_id}/review", response_model=list[SignalOut],
             summary="复核整个集群 The same decision on every open flag of a cluster")
def review_cluster(complaint_id: PathId, body: ReviewBody, p: Writer, units: UnitsDep, at: Now) -> list[SignalOut]:
    institution_only(p, WHAT)
    with units.write(at) as unit:
        flags = store.review_cluster(unit, p.institution_id, complaint_id, body.decision.value, body.reason,
                                     by=p.key_id)
        return [_out(unit.session, f) for f in flags]

"""删除记录 What the deletion-log page reads: the institution's retention policy, its last purge runs, the deletion
log (filtered by kind, reason and subject; paged, newest first) and the destruction requests — for an agency
operator its own agency's requests and their entries only, as GET /v1/deletion-log scopes them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.registry import models as m
from collectguard.retention import repository as repo
from collectguard.retention import service
from collectguard.retention.models import DeletionLogEntry, DestructionRequest, RetentionRun
from collectguard.retention.schemas import RetentionPolicyOut

KINDS = {"debtor": ("债务人", "debtor"), "contact": ("联系人", "contact"), "complaint": ("投诉", "complaint"),
         "agency-copy": ("合作机构副本", "agency's copies")}
REASONS = {"retention_expired": ("保存期满", "retention expired"),
           "agreement_ended": ("委托协议终止", "agreement ended")}
STATUSES = {"requested": ("待审批", "waiting for approval"), "approved": ("已同意", "approved"),
            "refused": ("已拒绝", "refused")}
DATA_KINDS = {"name": ("姓名", "name"), "phone": ("手机号", "phone"), "id_number": ("身份证号", "ID number"),
              "address": ("地址", "address"), "status_reason": ("状态说明", "status note"),
              "contact.name": ("联系人姓名", "contact's name"), "contact.phone": ("联系人电话", "contact's phone"),
              "transcript": ("质检通话文本", "QA transcript"), "hold_note": ("暂停备注", "hold notes"),
              "notice_note": ("停催回执备注", "stop-notice note")}


@dataclass(frozen=True)
class Deletions:
    policy: RetentionPolicyOut
    runs: list[RetentionRun]
    entries: list[DeletionLogEntry]
    total: int
    requests: list[DestructionRequest]
    agencies: dict[str, str]


def read(session: Session, institution: str, agency: str | None, *, kind: str | None, reason: str | None,
         subject: str | None, limit: int, offset: int) -> Deletions:
    requests, _ = repo.requests(session, institution, agency_id=agency, limit=200)
    request_ids = [r.id for r in requests] if agency is not None else None
    entries, total = repo.deletion_log(session, institution, subject_kind=kind if kind in KINDS else None,
                                       reason=reason if reason in REASONS else None, subject_id=subject or None,
                                       request_ids=request_ids, limit=limit, offset=offset)
    wanted = {r.agency_id for r in requests} | {e.subject_id for e in entries if e.subject_kind == "agency-copy"}
    names = dict(session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(sorted(wanted)))).all())
    return Deletions(policy=service.get_policy(session, institution),
                     runs=repo.runs(session, institution, limit=5) if agency is None else [],
                     entries=entries, total=total, requests=requests,
                     agencies={a: names.get(a) or a for a in wanted})

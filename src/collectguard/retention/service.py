"""保存与删除 Retention and deletion (arts. 12(一)(二), 20(四), 21(三)), in the caller's transaction (services never
commit), each change in the ledger — but for `run`, which commits batch by batch through `Units`.

# Design: what a purge removes, what it keeps, and why the ledger still verifies

The ledger never held personal data, so a purge never touches it. Its bodies carry ids (pseudonymous: `dbt_…`,
`con_…`, or the tenant's own opaque ids), amounts, decisions, rule ids and the NAMES of the fields that changed
(debts/service.py: "records name the fields changed, never their values"). Personal data lives only in rows that
can be changed, encrypted at rest (`privacy.crypto`, SM4-GCM/AES-GCM, context `<table>.<field>`) with keyed hashes
(HMAC-SM3) beside it. So the chain of hashes is untouched by a purge and `collectguard ledger verify` still proves
every record (tests/retention/test_purge.py purges, verifies the whole chain, and searches the raw bytes).

A purge of a debtor past retention (rules.decide) removes, in one transaction per batch of debtors:
- debtors: name, phone, id_number, address (encrypted tokens) → NULL; phone_index, id_number_index (keyed hashes)
  → NULL; status_reason (free text) → NULL. The row stays: its id is what attempts, debts and the ledger name.
- contacts of the debtor: name, phone → NULL, phone_index → NULL (rows stay, for the same reason).
- QA transcripts (qa_calls) of the debtor's attempts: turns emptied, each finding's `evidence` dropped (phones,
  IDs and e-mails were masked when stored, names never could be). The findings' rule ids stay (qa_findings).
- free notes that may name him: holds' note and release note, stop notices' acknowledgement note (outbox).
- complaints of the debtor: complainant, proxy, phone, e-mail, account, text and their keyed hashes
  (`complaints.service.erase_personal`, the complaints domain's own purge).
- the tenants' own references of the debtor and his contacts (external_refs: a CRM id may be an ID number).
- cached API answers that name him (idempotency_keys: an answer replayed to a retry; masked, but his).
It keeps: the pseudonymous ids, debts' amounts and dates, attempts and decisions, figures, and the ledger; and the
keyed hash of a number that refused contact (refused_numbers, art. 8(三): "不得再联系" outlives retention; a keyed
hash names nobody without the store's lookup key).

Each purged debtor gets one deletion-log entry (what kinds, whose pseudonymous id, when, why, approved by whom,
which run) and a `retention:personal-data:deleted` record; the run a `retention:run:completed` summary.

Raw bytes. Setting a column to NULL leaves the old bytes in free space of the page, in the WAL and in free pages.
On SQLite the purge's connection runs with `PRAGMA secure_delete=ON` (freed space is zeroed), and after the run
`VACUUM` rebuilds the file and `PRAGMA wal_checkpoint(TRUNCATE)` empties the WAL: a scan of the file and its -wal
finds none of the purged names, phones, ID numbers, tokens or keyed hashes (the test). VACUUM takes the write lock
for as long as it runs (seconds on a demo-sized file): the gate waits meanwhile. On PostgreSQL a plain VACUUM
prunes the dead row versions but leaves their bytes in the pages' free space until they are overwritten (measured:
16 of the 32 hits before the purge still in the table files after a plain VACUUM, none after VACUUM FULL), so `auto` runs
`VACUUM FULL` of the tables a purge touches: each is rewritten into a new file under an exclusive lock (the gate
waits for debtors and contacts meanwhile), and the old files are unlinked.
`plain` runs a plain VACUUM instead (no exclusive lock; the bytes go as the pages are reused). PostgreSQL's WAL
segments and base backups still hold the old values until they are
recycled or expire: that is the DBA's backup retention, to be set no longer than the retention policy.

Limits. Free text that people type into ledgered fields (a reveal's note, a debtor status' reason as recorded
before this change) is recorded as typed; operators must not put personal data there. QA records written before
this release carried each finding's evidence in the ledger (qa/storage.py now records it without).
Crypto-shredding (a data key per debtor) would also cover backups; not done here.

# Agencies' copies at the end of an agreement (art. 20(四))
An agency asks (oversight:report) once every agreement with the institution has ended (valid_to passed) or it was
terminated; the institution approves (oversight:write) or refuses with a reason. Approval writes an `agency-copy`
deletion-log entry and ends the agency's access to that institution: its API keys for it revoked, its console
users for it deactivated, its placements of the institution's debts ended.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, cast, column, delete, insert, or_, select, table, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from collectguard.auth import service as auth
from collectguard.auth.models import ApiKeyRow
from collectguard.complaints import service as complaints
from collectguard.complaints.models import Complaint
from collectguard.errors import Conflict, InvalidInput, NotFound, Refused
from collectguard.holds.models import HoldRow
from collectguard.ledger import service as ledger
from collectguard.ledger.tags import Tag
from collectguard.notices.models import OutboxRow
from collectguard.oversight.repository import local_day, terminated_at
from collectguard.qa.storage import QaCallRow
from collectguard.registry import models as m
from collectguard.registry.unit import Unit, Units
from collectguard.retention import models as rm
from collectguard.retention import repository as repo
from collectguard.retention.rules import decide
from collectguard.retention.schemas import (
    DEFAULT_YEARS,
    MIN_YEARS,
    DeletionReason,
    DestructionDecisionIn,
    DestructionRequestIn,
    DestructionStatus,
    RetentionPolicyIn,
    RetentionPolicyOut,
    RunOut,
    SubjectKind,
)
from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile
from collectguard.users import service as users
from collectguard.users.models import UserRow

RETENTION_RULE = "art12-retention"
DELETION_RULE = "art20-deletion-log"
DEBTOR_KINDS = ("name", "phone", "id_number", "address")
AGENCY_COPY_KINDS = ["name", "phone", "id_number", "address", "contact.name", "contact.phone"]
# Tables a purge writes personal columns of (VACUUMed after it on PostgreSQL).
TOUCHED = ("debtors", "contacts", "qa_calls", "holds", "outbox", "external_refs", "idempotency_keys", "complaints",
           "complaint_steps")
VACUUM_MODES = ("auto", "full", "plain", "none")  # auto = full: SQLite VACUUM; PostgreSQL VACUUM FULL
VACUUM_WAIT_S = 10.0  # how long a PostgreSQL compact waits for older snapshots to end (see compact)
ATTEMPTS = table("attempts", column("id", String), column("debtor_id", String))
# The HTTP layer's cache of answers (api/models.py), read as a table: a service knows nothing of HTTP.
IDEMPOTENCY = table("idempotency_keys", column("key_id", String), column("key", String), column("body", JSON))


def _refusal(rule: str, zh: str, en: str) -> tuple[str, str, str, str]:
    meta = load_profile(DEFAULT_PROFILE).obligations[rule]
    return (rule, meta.article, f"{meta.title_zh}：{zh}（第{meta.article}条）",
            f"{meta.title_en}: {en} (art. {meta.article})")


# -- the policy ------------------------------------------------------------------------------------------------
def get_policy(session: Session, institution: str) -> RetentionPolicyOut:
    if session.get(m.Institution, institution) is None:
        raise NotFound("institution", institution, field="institution")
    row = repo.policy(session, institution)
    if row is None:
        return RetentionPolicyOut(institution=institution, years=DEFAULT_YEARS, default=True)
    return RetentionPolicyOut(institution=institution, years=row.years, default=False, set_at=row.set_at,
                              set_by=row.set_by, ledger_seq=row.ledger_seq)


def set_policy(unit: Unit, institution: str, data: RetentionPolicyIn) -> RetentionPolicyOut:
    """At least 2 years (art. 12(一)(二)); a shorter one is refused with `art12-retention`."""
    unit.get(m.Institution, institution, kind="institution", field="institution")
    if data.years < MIN_YEARS:
        raise Refused([_refusal(RETENTION_RULE, f"保存年限不得少于{MIN_YEARS}年（请求 {data.years} 年）",
                                f"records are kept at least {MIN_YEARS} years ({data.years} asked)")], field="years")
    seq = unit.record(Tag.RETENTION_POLICY_SET, institution, {"years": data.years, "set_by": data.set_by}, institution)
    row = repo.policy(unit.session, institution)
    if row is None:
        row = rm.RetentionPolicy(institution_id=institution, years=data.years, set_at=unit.at, set_by=data.set_by,
                                 ledger_seq=seq)
        unit.session.add(row)
    else:
        row.years, row.set_at, row.set_by, row.ledger_seq = data.years, unit.at, data.set_by, seq
    return get_policy(unit.session, institution)


# -- which debtors are past retention ------------------------------------------------------------------------------
def plan(session: Session, institution: str, at: datetime, *, limit: int | None = None,
         batch: int = 1000) -> list[str]:
    """The debtors of the institution past retention at `at`, by pseudonymous id (rules.decide on each)."""
    if session.get(m.Institution, institution) is None:
        raise NotFound("institution", institution, field="institution")
    out: list[str] = []
    after = ""
    years_cache: dict[str, int] = {}
    while limit is None or len(out) < limit:
        ids = repo.candidates(session, institution, after=after, batch=batch)
        if not ids:
            break
        after = ids[-1]
        facts = repo.facts(session, ids)
        missing = sorted({i for f in facts for i in f.institutions} - set(years_cache))
        years_cache.update(repo.years_of(session, missing))
        out.extend(f.debtor_id for f in facts if decide(f, years_cache, at, DEFAULT_YEARS).past)
    return out if limit is None else out[:limit]


# -- the purge -----------------------------------------------------------------------------------------------------
def purge(unit: Unit, institution: str, debtor_ids: Sequence[str], *, approved_by: str, run_id: str,
          reason: DeletionReason = DeletionReason.RETENTION_EXPIRED) -> int:
    """Remove the personal data of these debtors (see the module's docstring), one deletion-log entry and one
    ledger record each; returns the entries written. The caller decided they are past retention."""
    session = unit.session
    ids = list(debtor_ids)
    if not ids:
        return 0
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))  # this connection zeroes what it frees
    kinds: dict[str, list[str]] = {i: [] for i in ids}
    d = m.Debtor
    for row in session.execute(select(d.id, d.name, d.phone, d.id_number, d.address, d.status_reason)
                               .where(d.id.in_(ids))):
        kinds[row[0]] += [k for k, v in zip(DEBTOR_KINDS, row[1:5], strict=True) if v is not None]
        if row[5] is not None:
            kinds[row[0]].append("status_reason")
    session.execute(update(d).where(d.id.in_(ids)).values(name=None, phone=None, id_number=None, address=None,
                                                          phone_index=None, id_number_index=None,
                                                          status_reason=None).execution_options(synchronize_session=False))
    c = m.Contact
    contact_ids: list[str] = []
    for cid, debtor, name, phone in session.execute(select(c.id, c.debtor_id, c.name, c.phone)
                                                    .where(c.debtor_id.in_(ids))):
        contact_ids.append(cid)
        kinds[debtor] += [k for k, v in (("contact.name", name), ("contact.phone", phone)) if v is not None]
    if contact_ids:
        session.execute(update(c).where(c.debtor_id.in_(ids)).values(name=None, phone=None, phone_index=None)
                        .execution_options(synchronize_session=False))
    debts = repo.debts_of(session, ids)
    _purge_transcripts(session, ids, kinds)
    _purge_notes(session, ids, debts, kinds)
    for ref_kind, objects in (("debtor", ids), ("contact", contact_ids)):
        for chunk in _chunks(objects, 500):
            session.execute(delete(m.ExternalRef).where(m.ExternalRef.kind == ref_kind,
                                                        m.ExternalRef.object_id.in_(chunk)))
    _purge_cached_answers(session, ids)
    for debtor in ids:
        erased = _erase_complaints(unit, debtor)
        kinds[debtor] += [f"complaint.{k}" for k in erased]
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=OFF"))  # the pooled connection goes back as it came
    return _log(unit, institution, SubjectKind.DEBTOR, {i: sorted(set(kinds[i])) for i in ids}, reason=reason,
                approved_by=approved_by, run_id=run_id)


def _purge_transcripts(session: Session, ids: list[str], kinds: dict[str, list[str]]) -> None:
    rows = session.execute(select(QaCallRow, ATTEMPTS.c.debtor_id).join(ATTEMPTS, ATTEMPTS.c.id == QaCallRow.attempt_id)
                           .where(ATTEMPTS.c.debtor_id.in_(ids))).all()
    for call, debtor in rows:
        if call.turns or any("evidence" in f for f in call.findings or []):
            call.turns = []
            call.findings = [{k: v for k, v in f.items() if k != "evidence"} for f in call.findings or []]
            kinds[debtor].append("transcript")


def _purge_notes(session: Session, ids: list[str], debts: dict[str, str], kinds: dict[str, list[str]]) -> None:
    debt_ids = list(debts)
    h = HoldRow
    where = or_(h.debtor_id.in_(ids), *([h.debt_id.in_(chunk) for chunk in _chunks(debt_ids, 500)]))
    for debtor, debt in session.execute(select(h.debtor_id, h.debt_id).where(
            where, or_(h.note.is_not(None), h.release_note.is_not(None)))):
        who = debtor or debts.get(debt or "")
        if who in kinds:
            kinds[who].append("hold_note")
    session.execute(update(h).where(where).values(note=None, release_note=None)
                    .execution_options(synchronize_session=False))
    for chunk in _chunks(debt_ids, 500):
        o = OutboxRow
        for (debt,) in session.execute(select(o.debt_id).where(o.debt_id.in_(chunk), o.ack_note.is_not(None))):
            kinds[debts[str(debt)]].append("notice_note")
        session.execute(update(o).where(o.debt_id.in_(chunk), o.ack_note.is_not(None)).values(ack_note=None)
                        .execution_options(synchronize_session=False))


def _purge_cached_answers(session: Session, ids: list[str]) -> None:
    """Answers kept for retries (api/idempotency.py) that name a purged debtor go: a retry now acts again."""
    body = cast(IDEMPOTENCY.c.body, String)
    for chunk in _chunks(ids, 100):
        session.execute(delete(IDEMPOTENCY).where(or_(*(body.contains(f'"{i}"') for i in chunk))))


def _erase_complaints(unit: Unit, debtor: str) -> list[str]:
    """The complaints domain's own purge; until it exists, the complaint columns it names are cleared here."""
    erase = getattr(complaints, "erase_personal", None)
    if erase is not None:
        return list(erase(unit, debtor))
    fields = ("proxy_name", "proxy_key", "complainant_name", "complainant_phone", "complainant_email",
              "payment_account", "text", "phone_key", "email_key", "account_key", "note")
    erased: set[str] = set()
    for row in unit.session.execute(select(Complaint).where(Complaint.debtor_id == debtor)).scalars():
        for f in fields:
            if getattr(row, f) is not None:
                erased.add(f.removeprefix("complainant_"))
                setattr(row, f, None)
        row.erased_at = unit.at
    return sorted(erased)


def _log(unit: Unit, institution: str, subject_kind: SubjectKind, kinds: dict[str, list[str]], *,
         reason: DeletionReason, approved_by: str, run_id: str | None = None, request_id: str | None = None) -> int:
    """One deletion-log entry and one ledger record per subject (one multi-row insert of each)."""
    subjects = list(kinds)
    payloads = [{"subject_kind": subject_kind.value, "kinds": kinds[s], "reason": reason.value,
                 "approved_by": approved_by, "run": run_id, "request": request_id} for s in subjects]
    last = ledger.append_many(unit.session, [ledger.Entry(Tag.PERSONAL_DATA_DELETED, s, unit.at, p, institution)
                                             for s, p in zip(subjects, payloads, strict=True)],
                              algorithm=unit.algorithm)
    first = last - len(subjects) + 1
    unit.session.execute(insert(rm.DeletionLogEntry), [
        {"institution_id": institution, "subject_kind": subject_kind.value, "subject_id": s, "kinds": kinds[s],
         "at": unit.at, "reason": reason.value, "approved_by": approved_by, "run_id": run_id,
         "request_id": request_id, "ledger_seq": first + n} for n, s in enumerate(subjects)])
    return len(subjects)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def run(units: Units, institution: str, *, approved_by: str, at: datetime, now: datetime | None = None,
        dry_run: bool = False, limit: int | None = None, batch: int = 200, vacuum: str = "auto",
        vacuum_wait_s: float | None = None) -> RunOut:
    """`collectguard retention run` / POST /v1/retention/runs: the plan (a dry run stops there), then the purge in
    batches of `batch` debtors, each batch its own transaction (a crash loses no finished batch; a new run
    continues: purged debtors have their deletion-log entry), the run's summary, then `compact`."""
    if not approved_by.strip():
        raise InvalidInput("须写明批准人", "name who approved the purge", field="approved_by")
    if vacuum not in VACUUM_MODES:
        raise InvalidInput("vacuum 只能是 auto、full、plain 或 none", "vacuum is auto, full, plain or none",
                           field="vacuum")
    started = time.perf_counter()
    with units.read() as session:
        ids = plan(session, institution, at, limit=limit)
        years = get_policy(session, institution).years
    if dry_run:
        return RunOut(institution=institution, at=at, years=years, dry_run=True, debtors=ids, count=len(ids))
    run_id = f"ret_{secrets.token_hex(8)}"
    entries = 0
    for chunk in _chunks(ids, batch):
        with units.write(now or at) as unit:
            entries += purge(unit, institution, chunk, approved_by=approved_by, run_id=run_id)
    with units.write(now or at) as unit:
        seq = unit.record(Tag.RETENTION_RUN, run_id, {"institution": institution, "at": at, "years": years,
                                                      "debtors": len(ids), "entries": entries,
                                                      "approved_by": approved_by}, institution)
        unit.session.add(rm.RetentionRun(id=run_id, institution_id=institution, at=at, approved_by=approved_by,
                                         years=years, debtors=len(ids), entries=entries, ledger_seq=seq))
    try:
        wait = VACUUM_WAIT_S if vacuum_wait_s is None else vacuum_wait_s
        done = compact(units, vacuum, wait_s=wait) if ids else "nothing purged"
    except DBAPIError as exc:  # the purge is committed; the bytes wait for the next compact (another reader held on)
        done = f"compact failed, run it again later: {type(exc.orig).__name__}: {exc.orig}"
    return RunOut(institution=institution, at=at, years=years, dry_run=False, debtors=ids, count=len(ids),
                  run_id=run_id, entries=entries, ledger_seq=seq, seconds=round(time.perf_counter() - started, 3),
                  vacuum=done)


def compact(units: Units, mode: str = "auto", wait_s: float = VACUUM_WAIT_S) -> str:
    """Make the freed bytes go (see the module's docstring): SQLite VACUUM + WAL checkpoint(TRUNCATE);
    PostgreSQL VACUUM FULL (`plain`: VACUUM) of the tables a purge touches. Returns what was done.

    PostgreSQL's VACUUM FULL keeps every row version that a transaction might still see: one whose snapshot is
    older than the purge's commit in this database (another session's, an autovacuum worker's ANALYZE), and —
    since its own snapshot counts every transaction running on the server — one that has written in ANY database
    of the server and not yet ended since before it. So it first waits, up to `wait_s`, for those to end, then
    compacts, and says how many were still open when it did (where the role may see them: pg_stat_activity shows
    other roles' transactions to a superuser or a member of pg_read_all_stats).
    """
    if mode == "none":
        return "none"
    engine = units.store.engine
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("VACUUM")
            busy, log, moved = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        return f"sqlite: VACUUM, wal_checkpoint(TRUNCATE) busy={busy} log={log} checkpointed={moved}"
    full = "" if mode == "plain" else "FULL "
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        open_now = _wait_for_older_snapshots(conn, wait_s)
        for name in TOUCHED:
            conn.exec_driver_sql(f"VACUUM {full}{name}")
    done = f"postgresql: VACUUM {full}of {', '.join(TOUCHED)}"
    if open_now:
        done += (f"; {open_now} other open transaction(s) older than the purge (in this database, or writing in "
                 "another of the server): old row versions they can still see stay until they end — run the purge "
                 "again then (nothing is left to purge: it only compacts) / "
                 f"另有 {open_now} 个早于本次清除且未结束的事务（本库中的，或在同一服务器其他库中写入的），"
                 "其可见的旧行版本在事务结束前保留，结束后请再次运行")
    return done


# the other sessions whose transaction is older than the mark, a transaction id taken after the purge committed:
# in this database, any that has a snapshot or has written; in another, any that has written (it is in every new
# snapshot's list of running transactions, the VACUUM FULL's own included, which then keeps the replaced rows)
_OLDER_SNAPSHOTS = ("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
                    "age(backend_xid) >= age(CAST(%(mark)s AS xid)) OR (datname = current_database() "
                    "AND age(backend_xmin) >= age(CAST(%(mark)s AS xid))))")


def _wait_for_older_snapshots(conn: Connection, wait_s: float) -> int:
    """Polls until no other transaction can see what the purge replaced, or `wait_s` has passed; returns how many
    still can (0 when the way is clear)."""
    mark = conn.exec_driver_sql("SELECT CAST(CAST(pg_current_xact_id() AS xid) AS text)").scalar_one()
    deadline = time.monotonic() + wait_s
    while True:
        older = conn.exec_driver_sql(_OLDER_SNAPSHOTS, {"mark": mark}).scalar_one()
        if not older or time.monotonic() >= deadline:
            return int(older)
        time.sleep(0.05)


# -- agencies' copies at the end of an agreement (art. 20(四)) -------------------------------------------------------
def request_destruction(unit: Unit, institution: str, agency: str, data: DestructionRequestIn,
                        request_id: str | None = None) -> rm.DestructionRequest:
    """The agency asks to destroy its copies once every agreement with the institution has ended or it was
    terminated; before that, a 409 `agreement-not-ended`."""
    unit.get(m.Institution, institution, kind="institution", field="institution")
    unit.get(m.Agency, agency, kind="agency", field="agency")
    agreements = repo.agreements(unit.session, institution, agency)
    if not agreements:
        raise NotFound("agency", agency, field="agency")
    today = local_day(unit.session, institution, unit.at)
    ended = terminated_at(unit.session, institution, agency) is not None or all(a.valid_to < today
                                                                                 for a in agreements)
    if not ended:
        last = max(a.valid_to for a in agreements)
        raise Conflict(f"与该机构的委托协议尚未终止（至 {last}），不能申请销毁",
                       f"the agreement with the institution has not ended (valid to {last}): destruction is asked "
                       "for at its end", field="agency", code="agreement-not-ended")
    if repo.pending_request(unit.session, institution, agency) is not None:
        raise Conflict("已有待审批的销毁申请", "a destruction request is already waiting for approval", field="agency",
                       code="destruction-pending")
    ident = request_id or f"dst_{secrets.token_hex(8)}"
    agreement = agreements[0].id
    row = rm.DestructionRequest(id=ident, institution_id=institution, agency_id=agency, agreement_id=agreement,
                                status=DestructionStatus.REQUESTED, requested_at=unit.at,
                                requested_by=data.requested_by, note=data.note, ledger_seq=0)
    row.ledger_seq = unit.new(row, "destruction request", ident, Tag.DESTRUCTION_REQUESTED,
                              {"agency": agency, "agreement": agreement}, institution)
    return row


def _pending(unit: Unit, institution: str, request_id: str) -> rm.DestructionRequest:
    row = unit.session.get(rm.DestructionRequest, request_id)
    if row is None or row.institution_id != institution:
        raise NotFound("destruction request", request_id, field="id")
    if row.status != DestructionStatus.REQUESTED:
        raise Conflict(f"该申请已{'同意' if row.status == DestructionStatus.APPROVED else '拒绝'}",
                       f"the request was already {row.status}", field="id", code="destruction-decided")
    return row


def approve(unit: Unit, institution: str, request_id: str, data: DestructionDecisionIn) -> rm.DestructionRequest:
    """The institution agrees: an `agency-copy` deletion-log entry, and the agency's access to the institution
    ends — its API keys for it revoked, its console users for it deactivated, its placements ended yesterday."""
    row = _pending(unit, institution, request_id)
    agency = row.agency_id
    keys = list(unit.session.execute(select(ApiKeyRow.id).where(
        ApiKeyRow.institution_id == institution, ApiKeyRow.agency_id == agency,
        ApiKeyRow.revoked_at.is_(None)).order_by(ApiKeyRow.id)).scalars())
    for key in keys:
        auth.revoke(unit, key, institution)
    people = list(unit.session.execute(select(UserRow).where(
        UserRow.institution_id == institution, UserRow.agency_id == agency, UserRow.active.is_(True))
        .order_by(UserRow.id)).scalars())
    for user in people:
        users.deactivate(unit, user)
    ended = _end_placements(unit, institution, agency)
    debtors = repo.placed_debtors(unit.session, institution, agency)
    _log(unit, institution, SubjectKind.AGENCY_COPY, {agency: AGENCY_COPY_KINDS}, reason=DeletionReason.AGREEMENT_ENDED,
         approved_by=data.decided_by, request_id=row.id)
    outcome = {"keys_revoked": keys, "users_deactivated": [u.id for u in people], "placements_ended": ended,
               "debtors": debtors}
    row.status, row.decided_at, row.decided_by, row.decision_reason = (
        DestructionStatus.APPROVED, unit.at, data.decided_by, data.reason)
    row.outcome = outcome
    row.decided_seq = unit.record(Tag.DESTRUCTION_APPROVED, row.id, {"agency": agency, **outcome,
                                                                      "decided_by": data.decided_by}, institution)
    return row


def _end_placements(unit: Unit, institution: str, agency: str) -> int:
    """Placements of the institution's debts with the agency still running (or to come) end yesterday, on the
    institution's calendar; one that had not started yet ends before it starts (it never runs)."""
    today = local_day(unit.session, institution, unit.at)
    yesterday = today - timedelta(days=1)
    rows = unit.session.execute(select(m.Placement).join(m.Debt, m.Debt.id == m.Placement.debt_id).where(
        m.Debt.institution_id == institution, m.Placement.agency_id == agency, m.Placement.valid_to >= today)).scalars()
    n = 0
    for p in rows:
        p.valid_to = yesterday if p.valid_from <= yesterday else p.valid_from - timedelta(days=1)
        n += 1
    return n


def refuse(unit: Unit, institution: str, request_id: str, data: DestructionDecisionIn) -> rm.DestructionRequest:
    if not (data.reason or "").strip():
        raise InvalidInput("拒绝须说明理由", "a refusal needs a reason", field="reason")
    row = _pending(unit, institution, request_id)
    row.status, row.decided_at, row.decided_by, row.decision_reason = (
        DestructionStatus.REFUSED, unit.at, data.decided_by, data.reason)
    row.decided_seq = unit.record(Tag.DESTRUCTION_REFUSED, row.id, {"agency": row.agency_id,
                                                                     "decided_by": data.decided_by}, institution)
    return row


def describe(row: rm.DestructionRequest) -> dict[str, Any]:
    return {"id": row.id, "status": row.status, "agency": row.agency_id}

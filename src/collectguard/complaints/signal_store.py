"""组织化“反催收”信号的存取 The anti-collection signals in the database (art. 27), in the caller's transaction.

`examine(unit, complaint)` — called by `complaints.service.register` once the complaint row is flushed — reads
the complaint's keyed hashes (proxy, phone, e-mail, payment account), decrypts its text in memory only to make a
keyed MinHash signature and find the trade's phrases, stores the signature and its LSH band keys (never the text),
finds the complaints of the same institution received in the window before it that share a keyed hash or an LSH
band, and raises the signals of `signals.detect` as flags for a person to review (ledgered COMPLAINT_SIGNAL_RAISED
with ids and the field's NAME only). A flag never rejects anything. `review` confirms or dismisses a flag, with who
and why (COMPLAINT_SIGNAL_REVIEWED). The reads serve the console and the API: open flags, a complaint's flags
(raised on it, or naming it), clusters (complaints connected by any shared signal, dismissed flags left out).

Masked hints (138****8000, 某*******, z****@example.com, ****8888) are made on reading from the complaint's own
encrypted columns: nothing personal is stored here, and a purged complaint has no hint.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from collectguard.complaints import signals as sig
from collectguard.complaints.models import Complaint
from collectguard.complaints.signal_models import (
    ComplaintSignal,
    ComplaintSignalMember,
    ComplaintSignature,
    ComplaintTextBand,
)
from collectguard.errors import Conflict, InvalidInput, NotFound
from collectguard.ledger.tags import Tag
from collectguard.privacy.crypto import decrypt
from collectguard.privacy.keys import Keyring
from collectguard.privacy.masking import mask_email, mask_name, mask_phone
from collectguard.registry.personal import TOKEN_PREFIX, keyring_of
from collectguard.registry.unit import Unit

THRESHOLDS = sig.DEFAULT
OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
DECISIONS = (CONFIRMED, DISMISSED)
# signal → (the complaint's keyed-hash column, its encrypted column, how to mask it)
KEY_COLUMNS = {sig.Signal.PROXY: "proxy_key", sig.Signal.PHONE: "phone_key", sig.Signal.EMAIL: "email_key",
               sig.Signal.ACCOUNT: "account_key"}
VALUE_COLUMNS = {sig.Signal.PROXY: "proxy_name", sig.Signal.PHONE: "complainant_phone",
                 sig.Signal.EMAIL: "complainant_email", sig.Signal.ACCOUNT: "payment_account"}


def mask_account(value: str | None) -> str | None:
    """A payment account (card, Alipay, WeChat …): only its last 4 characters, `****8888`."""
    if value is None:
        return None
    text = "".join(value.split())
    return "****" + text[-4:] if len(text) > 6 else "****"


MASKS = {sig.Signal.PROXY: mask_name, sig.Signal.PHONE: mask_phone, sig.Signal.EMAIL: mask_email,
         sig.Signal.ACCOUNT: mask_account}


def _clear(keyring: Keyring, complaint: Complaint, column: str) -> str | None:
    token = getattr(complaint, column)
    if token is None:
        return None
    if not token.startswith(TOKEN_PREFIX):
        return str(token)
    return decrypt(keyring, token, context=f"complaints.{column}")


def hint(keyring: Keyring, complaint: Complaint | None, signal: str, detail: dict[str, Any]) -> str | None:
    """What a person sees of the shared value: masked, made from the complaint's encrypted column (None once its
    personal data was purged); for texts the similarity, for phrases the phrase ids."""
    if signal == sig.Signal.TEXT:
        return f"相似度 similarity {detail.get('similarity', 0):.2f}"
    if signal == sig.Signal.PHRASES:
        return ", ".join(detail.get("phrases", []))
    if complaint is None or complaint.erased_at is not None:
        return None
    return MASKS[signal](_clear(keyring, complaint, VALUE_COLUMNS[signal]))


# -- examine ------------------------------------------------------------------------------------------------
def _features(c: Complaint, signature: ComplaintSignature | None) -> sig.Features:
    return sig.Features(
        id=c.id, debtor=c.debtor_id, at=c.received_at,
        keys={s: getattr(c, col) for s, col in KEY_COLUMNS.items()},
        signature=signature.signature if signature is not None else None,
        shingles=signature.shingles if signature is not None else 0,
        phrases=tuple(signature.phrases) if signature is not None else ())


def _store_signature(unit: Unit, complaint: Complaint, keyring: Keyring,
                     t: sig.Thresholds) -> tuple[ComplaintSignature, bool]:
    """The complaint's signature and band keys, stored (replaced when examined again); and whether it is new."""
    session = unit.session
    text = _clear(keyring, complaint, "text") if complaint.erased_at is None else None
    signature, count = sig.signature(text, keyring.hmac_key) if text else (None, 0)
    found = sig.phrases(text) if text else []
    row = session.get(ComplaintSignature, complaint.id)
    new = row is None
    if row is None:
        row = ComplaintSignature(complaint_id=complaint.id, institution_id=complaint.institution_id)
        session.add(row)
    else:
        session.execute(delete(ComplaintTextBand).where(ComplaintTextBand.complaint_id == complaint.id))
    row.signature, row.shingles, row.phrases, row.examined_at = signature, count, found, unit.at
    session.flush()
    if signature is not None and count >= t.min_shingles:
        session.execute(insert(ComplaintTextBand), [
            {"institution_id": complaint.institution_id, "band_key": k, "complaint_id": complaint.id}
            for k in dict.fromkeys(sig.band_keys(signature, t.jaccard))])
    return row, new


# How many of the latest complaints sharing a value (or a text band) a new one is compared with.
MAX_CANDIDATES = 200


def _candidates(session: Session, complaint: Complaint, mine: ComplaintSignature,
                t: sig.Thresholds) -> list[sig.Features]:
    """The complaints of the same institution in the window before this one that share a keyed hash or a band —
    the latest MAX_CANDIDATES matches of each kind: a flag needs a few debtors, not the whole of a cluster of thousands (each
    new complaint of such a cluster would otherwise be compared with all the others before it)."""
    since = complaint.received_at - timedelta(days=t.window_days)
    window = (Complaint.institution_id == complaint.institution_id, Complaint.id != complaint.id,
              Complaint.received_at >= since, Complaint.received_at <= complaint.received_at)
    latest = (Complaint.received_at.desc(), Complaint.id.desc())
    ids: set[str] = set()
    shared = [getattr(Complaint, col) == getattr(complaint, col) for col in KEY_COLUMNS.values()
              if getattr(complaint, col)]
    if shared:
        ids.update(session.execute(select(Complaint.id).where(or_(*shared), *window).order_by(*latest)
                                   .limit(MAX_CANDIDATES)).scalars())
    if mine.signature is not None and mine.shingles >= t.min_shingles:
        keys = sig.band_keys(mine.signature, t.jaccard)
        ids.update(session.execute(select(ComplaintTextBand.complaint_id).join(
            Complaint, Complaint.id == ComplaintTextBand.complaint_id).where(
            ComplaintTextBand.institution_id == complaint.institution_id, ComplaintTextBand.band_key.in_(keys),
            *window).order_by(*latest).limit(MAX_CANDIDATES)).scalars())
    if not ids:
        return []
    rows = session.execute(select(Complaint.id, Complaint.debtor_id, Complaint.received_at, Complaint.proxy_key,
                                  Complaint.phone_key, Complaint.email_key, Complaint.account_key,
                                  ComplaintSignature.signature, ComplaintSignature.shingles).outerjoin(
        ComplaintSignature, ComplaintSignature.complaint_id == Complaint.id).where(
        Complaint.id.in_(sorted(ids)), *window)).all()
    return [sig.Features(id=r.id, debtor=r.debtor_id, at=r.received_at,
                         keys={s: getattr(r, col) for s, col in KEY_COLUMNS.items()}, signature=r.signature,
                         shingles=r.shingles or 0) for r in rows]


def examine(unit: Unit, complaint: Complaint, thresholds: sig.Thresholds | None = None) -> list[dict[str, Any]]:
    """Store the complaint's signature and raise its signals as open flags; returns each flag as
    {id, signal, value_hint (masked), shared_with, debtors, detail} (what `register` puts in EventOut.detail).
    Examining a complaint again raises only what it had not raised yet."""
    t = thresholds or THRESHOLDS
    session = unit.session
    keyring = keyring_of(session)
    mine, new = _store_signature(unit, complaint, keyring, t)
    raised = sig.detect(_features(complaint, mine), _candidates(session, complaint, mine, t), t)
    already = set() if new else {(f.signal, f.key) for f in session.execute(select(ComplaintSignal).where(
        ComplaintSignal.complaint_id == complaint.id)).scalars()}
    out = []
    for r in raised:
        if (r.signal, r.key) in already:
            continue
        detail = {**r.detail, "thresholds": t.describe()}
        flag = ComplaintSignal(institution_id=complaint.institution_id, complaint_id=complaint.id, signal=r.signal,
                               key=r.key, shared_with=list(r.shared_with), debtors=r.debtors, detail=detail,
                               status=OPEN, raised_at=unit.at, ledger_seq=0)
        session.add(flag)
        session.flush()
        session.add_all([ComplaintSignalMember(signal_id=flag.id, complaint_id=c)
                         for c in dict.fromkeys((complaint.id, *r.shared_with))])
        flag.ledger_seq = unit.record(Tag.COMPLAINT_SIGNAL_RAISED, complaint.id, {
            "flag": flag.id, "complaint": complaint.id, "signal": r.signal, "field": sig.Signal.FIELD.get(r.signal),
            "shared_with": list(r.shared_with), "debtors": r.debtors,
            "phrases": r.detail.get("phrases", []), "similarity": r.detail.get("similarity"),
            "thresholds": t.describe()}, complaint.institution_id)
        out.append(raised_out(keyring, flag, complaint))
    return out


def raised_out(keyring: Keyring, flag: ComplaintSignal, complaint: Complaint | None) -> dict[str, Any]:
    """A flag as `register` answers it (JSON-ready)."""
    zh, en = sig.Signal.LABEL[flag.signal]
    return {"id": flag.id, "signal": flag.signal, "label_zh": zh, "label_en": en,
            "value_hint": hint(keyring, complaint, flag.signal, flag.detail), "shared_with": list(flag.shared_with),
            "debtors": flag.debtors, "status": flag.status}


def flag_out(keyring: Keyring, flag: ComplaintSignal, complaint: Complaint | None) -> dict[str, Any]:
    zh, en = sig.Signal.LABEL[flag.signal]
    return {"id": flag.id, "complaint": flag.complaint_id, "signal": flag.signal, "label_zh": zh, "label_en": en,
            "value_hint": hint(keyring, complaint, flag.signal, flag.detail), "shared_with": list(flag.shared_with),
            "debtors": flag.debtors, "detail": dict(flag.detail), "status": flag.status,
            "raised_at": flag.raised_at, "reviewed_by": flag.reviewed_by, "reviewed_at": flag.reviewed_at,
            "review_reason": flag.review_reason}


# -- review -------------------------------------------------------------------------------------------------
def review(unit: Unit, flag_id: int, decision: str, reason: str, *, by: str,
           institution: str | None = None) -> ComplaintSignal:
    """A person's decision on a flag: confirmed (looks organised: a cluster that can be the cause of a major-risk
    incident, category anti_collection) or dismissed (a genuine complaint), with why. A decision can be revised;
    each one is in the ledger. `institution` scopes it (another institution's flag is not found)."""
    flag = unit.session.get(ComplaintSignal, flag_id)
    if flag is None or (institution is not None and flag.institution_id != institution):
        raise NotFound("complaint signal", str(flag_id), field="id")
    if decision not in DECISIONS:
        raise InvalidInput("决定应为 confirmed 或 dismissed", "the decision is confirmed or dismissed",
                           field="decision")
    if not reason or not reason.strip():
        raise InvalidInput("请说明理由", "give the reason for the decision", field="reason")
    if flag.status == decision and flag.review_reason == reason:
        raise Conflict("该信号已如此处理", "the flag already has this decision", field="decision")
    flag.status, flag.reviewed_by, flag.reviewed_at, flag.review_reason = decision, by, unit.at, reason
    flag.review_seq = unit.record(Tag.COMPLAINT_SIGNAL_REVIEWED, flag.complaint_id, {
        "flag": flag.id, "complaint": flag.complaint_id, "signal": flag.signal, "decision": decision, "by": by},
        flag.institution_id)
    return flag


def review_cluster(unit: Unit, institution: str, complaint_id: str, decision: str, reason: str, *,
                   by: str) -> list[ComplaintSignal]:
    """The same decision on every open flag of the cluster a complaint belongs to (one ledger record per flag);
    returns the flags decided. A complaint in no cluster is not found."""
    cluster = next((c for c in clusters(unit.session, institution) if complaint_id in c.complaints), None)
    if cluster is None:
        raise NotFound("complaint signal cluster", complaint_id, field="complaint")
    decided = []
    for flag_id in cluster.flags:
        flag = unit.session.get(ComplaintSignal, flag_id)
        if flag is not None and flag.status == OPEN:
            decided.append(review(unit, flag_id, decision, reason, by=by, institution=institution))
    return decided


# -- reads --------------------------------------------------------------------------------------------------
def flags(session: Session, institution: str, *, status: str | None = None, signal: str | None = None,
          limit: int | None = None, offset: int = 0) -> tuple[list[ComplaintSignal], int]:
    """The institution's flags, newest first, and how many there are."""
    where = [ComplaintSignal.institution_id == institution]
    if status is not None:
        where.append(ComplaintSignal.status == status)
    if signal is not None:
        where.append(ComplaintSignal.signal == signal)
    total = session.execute(select(func.count()).select_from(ComplaintSignal).where(*where)).scalar_one()
    stmt = select(ComplaintSignal).where(*where).order_by(ComplaintSignal.raised_at.desc(), ComplaintSignal.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.execute(stmt).scalars()), total


def flags_of(session: Session, complaint_id: str) -> list[ComplaintSignal]:
    """The flags a complaint is part of: raised on it, or naming it among those that share the signal."""
    return list(session.execute(select(ComplaintSignal).join(
        ComplaintSignalMember, ComplaintSignalMember.signal_id == ComplaintSignal.id).where(
        ComplaintSignalMember.complaint_id == complaint_id).order_by(ComplaintSignal.raised_at, ComplaintSignal.id)
    ).scalars())


@dataclass
class Cluster:
    """Complaints connected by shared signals (not dismissed): confirmed when any of its flags was confirmed."""

    complaints: list[str]
    flags: list[int]
    signals: dict[str, int]
    debtors: int
    status: str
    first_at: datetime | None = None
    last_at: datetime | None = None
    agencies: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """A stable name: the oldest complaint's id."""
        return self.complaints[0]


def clusters(session: Session, institution: str, *, status: str | None = None,
             min_size: int = 2) -> list[Cluster]:
    """Clusters of complaints connected by any shared signal (flags open or confirmed; a phrase flag joins no
    one), largest first; `status` "confirmed" keeps those with a confirmed flag, "open" the others."""
    rows = session.execute(select(ComplaintSignal.id, ComplaintSignal.signal, ComplaintSignal.status,
                                  ComplaintSignalMember.complaint_id).join(
        ComplaintSignalMember, ComplaintSignalMember.signal_id == ComplaintSignal.id).where(
        ComplaintSignal.institution_id == institution, ComplaintSignal.status != DISMISSED)).all()
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[int, list[str]] = defaultdict(list)
    meta: dict[int, tuple[str, str]] = {}
    for flag_id, signal, st, complaint in rows:
        members[flag_id].append(complaint)
        meta[flag_id] = (signal, st)
    for ids in members.values():
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
        find(ids[0])
    groups: dict[str, set[str]] = defaultdict(set)
    for c in parent:
        groups[find(c)].add(c)
    by_root: dict[str, list[int]] = defaultdict(list)
    for flag_id, ids in members.items():
        by_root[find(ids[0])].append(flag_id)
    out = []
    for root, complaints in groups.items():
        if len(complaints) < min_size:
            continue
        info = sorted(session.execute(select(Complaint.id, Complaint.debtor_id, Complaint.received_at,
                                             Complaint.agency_id).where(Complaint.id.in_(sorted(complaints)))).all(),
                      key=lambda r: (r.received_at, r.id))
        fl = sorted(by_root[root])
        counts: dict[str, int] = defaultdict(int)
        for f in fl:
            counts[meta[f][0]] += 1
        st = CONFIRMED if any(meta[f][1] == CONFIRMED for f in fl) else OPEN
        if status is not None and st != status:
            continue
        out.append(Cluster(complaints=[r.id for r in info], flags=fl, signals=dict(sorted(counts.items())),
                           debtors=len({r.debtor_id or f"complaint:{r.id}" for r in info}), status=st,
                           first_at=info[0].received_at if info else None,
                           last_at=info[-1].received_at if info else None,
                           agencies=sorted({r.agency_id for r in info if r.agency_id})))
    out.sort(key=lambda c: (-len(c.complaints), c.id))
    return out


# -- maintenance --------------------------------------------------------------------------------------------
def forget(session: Session, complaint_ids: list[str]) -> int:
    """What detection kept of complaints whose personal data is purged (called by `complaints.service.erase_personal`):
    their signatures and band keys go, and the keyed hash on the flags raised on them; the flags stay (ids, the
    signal, who decided). Returns how many signatures were removed."""
    if not complaint_ids:
        return 0
    session.execute(delete(ComplaintTextBand).where(ComplaintTextBand.complaint_id.in_(complaint_ids)))
    session.execute(update(ComplaintSignal).where(ComplaintSignal.complaint_id.in_(complaint_ids))
                    .values(key=None))
    result = session.execute(delete(ComplaintSignature).where(ComplaintSignature.complaint_id.in_(complaint_ids)))
    return int(getattr(result, "rowcount", 0) or 0)


def rebuild_bands(session: Session, institution: str, jaccard: float = THRESHOLDS.jaccard,
                  min_shingles: int = THRESHOLDS.min_shingles) -> int:
    """Rebuild the institution's LSH band keys from the stored signatures (after the threshold changed, say);
    returns how many complaints were banded."""
    session.execute(delete(ComplaintTextBand).where(ComplaintTextBand.institution_id == institution))
    rows = session.execute(select(ComplaintSignature.complaint_id, ComplaintSignature.signature).where(
        ComplaintSignature.institution_id == institution, ComplaintSignature.signature.is_not(None),
        ComplaintSignature.shingles >= min_shingles)).all()
    for complaint_id, signature in rows:
        if signature is None:  # excluded by the query; narrows the type
            continue
        session.execute(insert(ComplaintTextBand), [
            {"institution_id": institution, "band_key": k, "complaint_id": complaint_id}
            for k in dict.fromkeys(sig.band_keys(signature, jaccard))])
    return len(rows)


def near_duplicates(session: Session, institution: str, complaint_id: str,
                    jaccard: float = THRESHOLDS.jaccard) -> list[tuple[str, float]]:
    """The institution's complaints whose text is a near-duplicate of this one's, by datasketch's MinHashLSH rebuilt
    in memory from the stored signatures (a check of the persisted bands), with the estimated similarity."""
    rows = session.execute(select(ComplaintSignature.complaint_id, ComplaintSignature.signature).where(
        ComplaintSignature.institution_id == institution, ComplaintSignature.signature.is_not(None))).all()
    stored: dict[str, bytes] = {c: s for c, s in rows if s is not None}
    if complaint_id not in stored:
        return []
    lsh = sig.lsh_index(stored.items(), jaccard)
    found = [(c, sig.similarity(stored[complaint_id], stored[c])) for c in lsh.query(sig.from_signature(
        stored[complaint_id])) if c != complaint_id]
    return sorted([(c, s) for c, s in found if s >= jaccard], key=lambda x: (-x[1], x[0]))

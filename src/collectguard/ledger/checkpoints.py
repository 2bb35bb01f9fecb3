"""Signed checkpoints of the ledger head (账本检查点): what proves the ledger against whoever can write the database.

The hash chain alone proves nothing against someone who can write the database: they can alter a record
and recompute every hash after it and the head, or delete the tail and move the head back, and the chain
still verifies. A checkpoint is the head — {seq, hash, count} at `taken_at` — signed with a key kept outside
the database, exported where the database administrator cannot rewrite it (a file written once, mode 0444,
in a directory on other storage; and/or a signed webhook to the institution). Verification then proves the
chain still contains every checkpoint's (seq, hash): a rewrite or truncation before the newest checkpoint
is found and named. See docs/ledger.md.

Canonical JSON (the signed message is the same object without `signature`)::

    {"alg":"sm2","count":1200,"hash":"<64 hex>","key_id":"<16 hex>","seq":1200,"signature":"<hex>",
     "taken_at":"2026-05-20T01:00:00Z","v":1}

One file per checkpoint: ``checkpoint-<seq, 12 digits>-<first 16 hex of the hash>.json``, never overwritten.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectguard.errors import CollectGuardError
from collectguard.ledger.chain import canonical
from collectguard.ledger.models import LedgerHead, LedgerRecord
from collectguard.ledger.service import HEAD_ID, Verification
from collectguard.ledger.signing import ALGORITHMS, PublicKey, SigningKey

FORMAT = 1
PREFIX = "checkpoint-"
_NAME = re.compile(r"^checkpoint-(\d{12})-([0-9a-f]{16})\.json$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_SIGNED = ("alg", "count", "hash", "key_id", "seq", "taken_at", "v")


class CheckpointError(CollectGuardError):
    status = 500
    code = "checkpoint"


class CheckpointRefused(CheckpointError):
    """The ledger in the database contradicts the newest checkpoint: it is not signed again, it is reported."""

    code = "checkpoint-refused"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    count: int
    taken_at: datetime
    alg: str
    key_id: str
    signature: str = ""

    def signed_fields(self) -> dict[str, Any]:
        return {"v": FORMAT, "alg": self.alg, "count": self.count, "hash": self.hash, "key_id": self.key_id,
                "seq": self.seq, "taken_at": self.taken_at}

    def message(self) -> bytes:
        """The bytes signed: the canonical JSON of every field but the signature."""
        return canonical(self.signed_fields()).encode("utf-8")

    def to_json(self) -> str:
        return canonical({**self.signed_fields(), "signature": self.signature})

    def as_dict(self) -> dict[str, Any]:
        return json.loads(self.to_json())

    @property
    def file_name(self) -> str:
        return f"{PREFIX}{self.seq:012d}-{self.hash[:16]}.json"

    @property
    def when(self) -> str:
        return self.taken_at.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def signed_by(self, keys: Mapping[str, PublicKey]) -> bool:
        key = keys.get(self.key_id)
        return key is not None and key.alg == self.alg and key.verify(self.message(), self.signature)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """A checkpoint from its JSON; ValueError naming the first thing wrong."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [k for k in (*_SIGNED, "signature") if k not in data]
        extra = sorted(set(data) - {*_SIGNED, "signature"})
        if missing or extra:
            raise ValueError(f"missing {missing}" if missing else f"unexpected fields {extra}")
        if data["v"] != FORMAT:
            raise ValueError(f"format {data['v']!r}, expected {FORMAT}")
        for name in ("seq", "count"):
            if type(data[name]) is not int or data[name] < 1:
                raise ValueError(f"{name} must be a positive integer")
        if not isinstance(data["hash"], str) or not _HASH.match(data["hash"]):
            raise ValueError("hash must be 64 lowercase hex digits")
        if data["alg"] not in ALGORITHMS:
            raise ValueError(f"alg must be one of {', '.join(ALGORITHMS)}")
        if not isinstance(data["key_id"], str) or not _KEY_ID.match(data["key_id"]):
            raise ValueError("key_id must be 16 lowercase hex digits")
        if not isinstance(data["signature"], str):
            raise ValueError("signature must be a hex string")
        try:
            taken_at = datetime.fromisoformat(data["taken_at"])
        except (TypeError, ValueError):
            raise ValueError("taken_at must be an ISO 8601 time") from None
        if taken_at.tzinfo is None:
            raise ValueError("taken_at must carry its zone")
        return cls(data["seq"], data["hash"], data["count"], taken_at, data["alg"], data["key_id"], data["signature"])


def sign(key: SigningKey, *, seq: int, hash: str, count: int, taken_at: datetime) -> Checkpoint:
    unsigned = Checkpoint(seq, hash, count, taken_at.astimezone(UTC), key.alg, key.key_id)
    return Checkpoint(seq, hash, count, unsigned.taken_at, key.alg, key.key_id, key.sign(unsigned.message()))


def _stored_hash(session: Session, seq: int) -> str | None:
    return session.execute(select(LedgerRecord.hash).where(LedgerRecord.seq == seq)).scalar_one_or_none()


def take(session: Session, key: SigningKey, *, previous: Checkpoint | None, now: datetime) -> Checkpoint | None:
    """Sign the ledger head. None when the ledger is empty or unchanged since `previous`.

    Before signing, the ledger must still contain `previous` (the newest checkpoint): a rewrite or truncation
    since then is refused with CheckpointRefused rather than signed over. Cheap: three indexed reads and a count
    of the records since `previous`. Records up to the head are committed (the head moves in their
    transaction), so what is counted and signed is one consistent state."""
    row = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == HEAD_ID)).one_or_none()
    seq, head_hash = (int(row[0]), str(row[1])) if row else (0, "")
    if previous is not None:
        where = f"{previous.file_name}（{previous.when}）"
        where_en = f"{previous.file_name} (taken {previous.when})"
        if seq < previous.seq:
            raise CheckpointRefused(
                f"账本头为第 {seq} 条，但检查点 {where} 已签第 {previous.seq} 条：账本被截断，拒绝签名",
                f"the ledger head is at record {seq}, but checkpoint {where_en} signed record {previous.seq}: "
                "the ledger was truncated; not signing it")
        stored = head_hash if seq == previous.seq else _stored_hash(session, previous.seq)
        if stored != previous.hash:
            raise CheckpointRefused(
                f"账本第 {previous.seq} 条的哈希已与检查点 {where} 不符：此前的记录被改写，拒绝签名",
                f"record {previous.seq} no longer has the hash checkpoint {where_en} signed: records up to it were "
                "rewritten; not signing it")
        if seq == previous.seq:
            return None
    if seq == 0:
        return None
    if _stored_hash(session, seq) != head_hash:
        raise CheckpointRefused(f"账本头（第 {seq} 条）与该条记录的哈希不符，拒绝签名",
                                f"the ledger head (record {seq}) disagrees with that record's hash; not signing it")
    since = previous.seq if previous is not None else 0
    added = session.execute(select(func.count()).select_from(LedgerRecord)
                            .where(LedgerRecord.seq > since, LedgerRecord.seq <= seq)).scalar_one()
    count = (previous.count if previous is not None else 0) + int(added)
    if count != seq:
        raise CheckpointRefused(f"账本头为第 {seq} 条，但有 {count} 条记录（缺失或插入），拒绝签名",
                                f"the ledger head is record {seq} but {count} records exist (missing or inserted); "
                                "not signing it")
    return sign(key, seq=seq, hash=head_hash, count=count, taken_at=now)


def write(directory: str | os.PathLike[str], checkpoint: Checkpoint) -> Path | None:
    """Write the checkpoint's file once (O_EXCL, mode 0444, synced). None when a file of the same name — the
    same seq and hash — is already there (another worker or run took it); nothing is ever overwritten."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / checkpoint.file_name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError:
        return None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write((checkpoint.to_json() + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # never leave a half-written checkpoint behind
        raise
    _sync_dir(folder)
    return path


def _sync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Found:
    """A checkpoint file whose signature verified."""

    checkpoint: Checkpoint
    name: str


@dataclass(frozen=True)
class Problem:
    name: str | None
    seq: int | None
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.name, "seq": self.seq, "message_zh": self.message_zh, "message_en": self.message_en}

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith(PREFIX) and p.is_file())


def load(directory: str | os.PathLike[str], keys: Mapping[str, PublicKey]) -> tuple[list[Found], list[Problem]]:
    """Every checkpoint file in `directory`, its signature checked against `keys` (by key id). A file that does
    not parse, is signed by an unknown key, has a bad signature or has been renamed is a Problem."""
    folder = Path(directory)
    found: list[Found] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return found, [Problem(None, None, f"检查点目录 {folder} 不存在", f"checkpoint directory {folder} does not exist")]
    for path in _files(folder):
        name = path.name
        try:
            cp = Checkpoint.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            detail = str(exc) or type(exc).__name__
            problems.append(Problem(name, None, f"检查点文件 {name} 无法解析（{detail}）",
                                    f"checkpoint file {name} is not a readable checkpoint ({detail})"))
            continue
        if cp.key_id not in keys:
            problems.append(Problem(name, cp.seq, f"检查点文件 {name} 由不受信任的密钥 {cp.key_id} 签名",
                                    f"checkpoint file {name} is signed by key {cp.key_id}, "
                                    "which is not among the trusted public keys"))
        elif not cp.signed_by(keys):
            problems.append(Problem(name, cp.seq, f"检查点文件 {name}（第 {cp.seq} 条）签名无效：伪造或被改动",
                                    f"checkpoint file {name} (seq {cp.seq}): signature invalid — forged or altered"))
        elif name != cp.file_name:
            problems.append(Problem(name, cp.seq, f"检查点文件 {name} 的名称与内容（{cp.file_name}）不符",
                                    f"checkpoint file {name} does not match its content ({cp.file_name}): renamed"))
        else:
            found.append(Found(cp, name))
    return found, problems


def newest(directory: str | os.PathLike[str], keys: Mapping[str, PublicKey]) -> Checkpoint | None:
    """The newest checkpoint in `directory` (highest seq), which must verify: a forged or garbled newest file
    stops checkpointing (CheckpointError) until someone looks."""
    folder = Path(directory)
    if not folder.is_dir():
        return None
    named = [(int(m.group(1)), p) for p in _files(folder) if (m := _NAME.match(p.name))]
    if not named:
        return None
    _, path = max(named)
    try:
        cp = Checkpoint.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"最新检查点文件 {path.name} 无法解析（{exc}）",
                              f"the newest checkpoint file {path.name} cannot be read ({exc})") from None
    if cp.key_id not in keys:
        raise CheckpointError(
            f"最新检查点文件 {path.name} 由密钥 {cp.key_id} 签名，不是受信任的密钥：轮换密钥后请把旧公钥加入 "
            "COLLECTGUARD_CHECKPOINT_PUBLIC_KEY，或改用新目录",
            f"the newest checkpoint file {path.name} is signed by key {cp.key_id}, not a trusted one: after rotating "
            "the key add the old public key to COLLECTGUARD_CHECKPOINT_PUBLIC_KEY, or start a new directory")
    if not cp.signed_by(keys) or path.name != cp.file_name:
        raise CheckpointError(f"最新检查点文件 {path.name} 签名无效：伪造或被改动",
                              f"the newest checkpoint file {path.name} does not verify: forged or altered")
    return cp


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    newest: Checkpoint | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "newest_seq": self.newest.seq if self.newest else None,
            "newest_taken_at": self.newest.when if self.newest else None,
            "problems": [p.as_dict() for p in self.problems],
        }


def prove(session: Session, found: Iterable[Found], chain: Verification) -> list[Problem]:
    """Prove the ledger contains each checkpoint's (seq, hash). With an intact chain (`chain.ok`), a record
    whose stored hash is the signed one fixes every record before it; a different hash means records up to it
    were rewritten and the hashes after recomputed; a checkpoint past the end means the tail was deleted."""
    ordered = sorted(found, key=lambda f: (f.checkpoint.seq, f.name))
    seqs = sorted({f.checkpoint.seq for f in ordered})
    stored: dict[int, str] = {}
    for i in range(0, len(seqs), 500):
        rows = session.execute(select(LedgerRecord.seq, LedgerRecord.hash)
                               .where(LedgerRecord.seq.in_(seqs[i:i + 500]))).all()
        stored.update((int(s), str(h)) for s, h in rows)
    problems: list[Problem] = []
    proven = 0  # the highest seq proven so far
    for f in ordered:
        cp, name = f.checkpoint, f.name
        where, where_en = f"检查点 {name}（{cp.when}）", f"checkpoint {name} (taken {cp.when})"
        have = stored.get(cp.seq)
        if cp.count != cp.seq:
            problems.append(Problem(name, cp.seq, f"{where}：记录数 {cp.count} 与序号 {cp.seq} 不符",
                                    f"{where_en}: count {cp.count} disagrees with seq {cp.seq}"))
        elif have is None and chain.ok:
            problems.append(Problem(
                name, cp.seq, f"{where} 证明账本曾有 {cp.seq} 条记录，现仅 {chain.count} 条：尾部被删除、头被回退（截断）",
                f"{where_en} proves the ledger had {cp.seq} records; it now has {chain.count}: the tail was deleted "
                "and the head moved back (truncated)"))
        elif have is None:
            problems.append(Problem(name, cp.seq, f"{where}：账本缺少第 {cp.seq} 条记录",
                                    f"{where_en}: the ledger has no record {cp.seq}"))
        elif have != cp.hash:
            problems.append(Problem(
                name, cp.seq,
                f"{where} 签名的第 {cp.seq} 条哈希为 {cp.hash[:16]}…，账本中现为 {have[:16]}…："
                f"第 {proven + 1}–{cp.seq} 条中有记录被改写（其后哈希被重算）",
                f"{where_en} signed hash {cp.hash[:16]}… for record {cp.seq}; the ledger now has {have[:16]}… there: "
                f"a record from {proven + 1} to {cp.seq} was rewritten (and the hashes after it recomputed)"))
        else:
            proven = max(proven, cp.seq)
    return problems


def check(session: Session, directory: str | os.PathLike[str], keys: Mapping[str, PublicKey],
          chain: Verification) -> CheckpointReport:
    """Every checkpoint in `directory`: its signature, then the chain's containing it. No checkpoint at all
    is a problem too (an empty directory proves nothing)."""
    found, problems = load(directory, keys)
    if not found and not problems:
        problems.append(Problem(None, None, f"目录 {directory} 中没有检查点", f"no checkpoints in {directory}"))
    problems += prove(session, found, chain)
    newest_cp = max((f.checkpoint for f in found), key=lambda c: c.seq, default=None)
    return CheckpointReport(len(found), newest_cp, problems)

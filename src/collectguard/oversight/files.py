"""Evidence files stored by their hash: an evaluation's supporting documents, the signed commitments, an
inspection's working papers. A file is stored once per institution; the ledger records its hash, name and size
(never its content), so the record proves which file was cited and the file proves itself by its hash."""

from __future__ import annotations

from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from fastapi import Path

from collectguard.errors import InvalidInput
from collectguard.ledger.chain import ALGORITHMS
from collectguard.ledger.tags import Tag
from collectguard.oversight.models import EvidenceFile
from collectguard.registry.unit import Unit

MAX_BYTES = 20 * 1024 * 1024
HASH_PATTERN = r"^(sm3|sha256):[0-9a-f]{64}$"
HASH_PATH = Path(pattern=HASH_PATTERN, max_length=71, description="`sm3:<hex>` 或 `sha256:<hex>`")


def file_hash(algorithm: str, content: bytes) -> str:
    h = hashes.Hash(ALGORITHMS[algorithm]())  # type: ignore[abstract]  # SM3 and SHA256 are concrete
    h.update(content)
    return f"{algorithm}:{h.finalize().hex()}"


def store(unit: Unit, institution: str, name: str, media_type: str, content: bytes) -> EvidenceFile:
    """Store a file for the institution, hashed with the ledger's algorithm; the same file again is the same row."""
    if not content:
        raise InvalidInput("文件为空", "the file is empty", field="body")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件超过 {MAX_BYTES // 1024 // 1024} MiB", f"the file is larger than "
                           f"{MAX_BYTES // 1024 // 1024} MiB", field="body")
    digest = file_hash(unit.algorithm, content)
    row = unit.session.get(EvidenceFile, (digest, institution))
    if row is not None:
        return row
    row = EvidenceFile(hash=digest, institution_id=institution, name=name, media_type=media_type[:100],
                       size=len(content), content=content, stored_at=unit.at)
    unit.session.add(row)
    unit.record(Tag.EVIDENCE_FILE_STORED, digest, {"name": name, "size": len(content), "media_type": media_type[:100]},
                institution)
    return row


def quoted(name: str) -> str:
    return quote(name, safe="")

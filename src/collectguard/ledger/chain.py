"""Canonical serialisation and the hash chain (SM3 by default through `cryptography`, SHA-256 selectable).

hash(n) = H(hash(n-1) ‖ "\\n" ‖ body(n)), where body(n) is the canonical JSON of the record, which itself
carries its sequence number, kind, subject, time, algorithm and payload. Genesis: 64 zeros.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from cryptography.hazmat.primitives import hashes

GENESIS = "0" * 64
ALGORITHMS = {"sm3": hashes.SM3, "sha256": hashes.SHA256}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in ledger payload")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot serialise {type(value).__name__} in the ledger")


def canonical(obj: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 text, UTC times, Decimals as strings."""
    return json.dumps(obj, default=_default, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(algorithm: str, prev_hash: str, body: str) -> str:
    try:
        h = hashes.Hash(ALGORITHMS[algorithm]())
    except KeyError:
        raise ValueError(f"unknown ledger hash {algorithm!r}; use sm3 or sha256") from None
    h.update(prev_hash.encode("ascii") + b"\n" + body.encode("utf-8"))
    return h.finalize().hex()

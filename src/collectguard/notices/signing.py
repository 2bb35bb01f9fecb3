"""HMAC-SHA256 signatures of webhook deliveries, and the check a receiving agency runs.

The signed string is ``<timestamp>.<raw body>`` with the timestamp (Unix seconds) also sent in
`X-CollectGuard-Timestamp`, so a captured delivery cannot be replayed later than `tolerance_s`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE = "X-CollectGuard-Signature"
TIMESTAMP = "X-CollectGuard-Timestamp"
DELIVERY = "X-CollectGuard-Delivery"
ATTEMPT = "X-CollectGuard-Attempt"
SCHEME = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def headers(secret: str, timestamp: int, body: bytes, delivery_id: str, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE: sign(secret, timestamp, body),
        TIMESTAMP: str(timestamp),
        DELIVERY: delivery_id,
        ATTEMPT: str(attempt),
    }


def verify(secret: str, received: Mapping[str, str], body: bytes, *, now: float, tolerance_s: int = 300) -> bool:
    """True when the signature matches the body and the timestamp is within `tolerance_s` of `now`.

    `received` is the request's headers; lookup is case-insensitive.
    """
    lower = {k.lower(): v for k, v in received.items()}
    signature = lower.get(SIGNATURE.lower(), "")
    try:
        timestamp = int(lower.get(TIMESTAMP.lower(), ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature, sign(secret, timestamp, body))

"""Typed settings, read from the environment (COLLECTGUARD_*) with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///collectguard.db"
DEFAULT_LEASE_SWEEP_S = 30.0
DEFAULT_CHECKPOINT_INTERVAL_S = 300.0
DEFAULT_ALERT_INTERVAL_S = 3600.0
DEFAULT_ALERT_DUE_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    ledger_hash: str = "sm3"  # or "sha256"
    # How often the server marks leases whose outcome never came as expired (missing outcomes); 0 = never.
    lease_sweep_s: float = DEFAULT_LEASE_SWEEP_S
    # Signed ledger checkpoints (docs/ledger.md): off unless a key file (outside the database) is named.
    checkpoint_key: str | None = None  # private key file, mode 0600 (`collectguard ledger keygen`)
    checkpoint_dir: str | None = None  # one file per checkpoint, written once, mode 0444
    checkpoint_interval_s: float = DEFAULT_CHECKPOINT_INTERVAL_S  # how often the server takes one; 0 = never
    checkpoint_webhook: str | None = None  # the institution's URL; POSTs are HMAC-signed with the secret
    checkpoint_webhook_secret: str | None = None
    # Public key files (separated like PATH) that `ledger verify --checkpoints` trusts by default and the server
    # continues from besides its own key (the old key, after rotating).
    checkpoint_public_key: str | None = None
    # How often the server queues obligation alerts (overdue, or due within `alert_due_within_days`) for the
    # outbox's sender; the first pass one interval after start; 0 = never (oversight/alerts.py).
    alert_interval_s: float = DEFAULT_ALERT_INTERVAL_S
    alert_due_within_days: int = DEFAULT_ALERT_DUE_WITHIN_DAYS

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            db_url=os.environ.get("COLLECTGUARD_DB", DEFAULT_DB_URL),
            ledger_hash=os.environ.get("COLLECTGUARD_LEDGER_HASH", "sm3").lower(),
            lease_sweep_s=_seconds("COLLECTGUARD_LEASE_SWEEP_S", DEFAULT_LEASE_SWEEP_S),
            checkpoint_key=os.environ.get("COLLECTGUARD_CHECKPOINT_KEY") or None,
            checkpoint_dir=os.environ.get("COLLECTGUARD_CHECKPOINT_DIR") or None,
            checkpoint_interval_s=_seconds("COLLECTGUARD_CHECKPOINT_INTERVAL_S", DEFAULT_CHECKPOINT_INTERVAL_S),
            checkpoint_webhook=os.environ.get("COLLECTGUARD_CHECKPOINT_WEBHOOK") or None,
            checkpoint_webhook_secret=os.environ.get("COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET") or None,
            checkpoint_public_key=os.environ.get("COLLECTGUARD_CHECKPOINT_PUBLIC_KEY") or None,
            alert_interval_s=_seconds("COLLECTGUARD_ALERT_INTERVAL_S", DEFAULT_ALERT_INTERVAL_S),
            alert_due_within_days=_days("COLLECTGUARD_ALERT_DUE_WITHIN_DAYS", DEFAULT_ALERT_DUE_WITHIN_DAYS),
        )


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:  # NaN fails too
        raise ValueError(f"{name}={raw!r}: 须为 0–86400 之间的秒数 / must be a number of seconds from 0 to 86400")
    return value


def _days(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 366:
        raise ValueError(f"{name}={raw!r}: 须为 0–366 之间的天数 / must be a number of days from 0 to 366")
    return int(raw)

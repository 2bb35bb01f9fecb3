"""Typed settings, read from the environment (COLLECTGUARD_*) with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///collectguard.db"
DEFAULT_LEASE_SWEEP_S = 30.0


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    ledger_hash: str = "sm3"  # or "sha256"
    # How often the server marks leases whose outcome never came as expired (missing outcomes); 0 = never.
    lease_sweep_s: float = DEFAULT_LEASE_SWEEP_S

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            db_url=os.environ.get("COLLECTGUARD_DB", DEFAULT_DB_URL),
            ledger_hash=os.environ.get("COLLECTGUARD_LEDGER_HASH", "sm3").lower(),
            lease_sweep_s=_seconds("COLLECTGUARD_LEASE_SWEEP_S", DEFAULT_LEASE_SWEEP_S),
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

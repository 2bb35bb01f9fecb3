"""Typed settings, read from the environment (COLLECTGUARD_*) with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///collectguard.db"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    ledger_hash: str = "sm3"  # or "sha256"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            db_url=os.environ.get("COLLECTGUARD_DB", DEFAULT_DB_URL),
            ledger_hash=os.environ.get("COLLECTGUARD_LEDGER_HASH", "sm3").lower(),
        )

"""Demo complaints for `make run` and the console's test world. SKELETON: filled by the complaints helper."""

from __future__ import annotations

from datetime import datetime

from collectguard.db.store import Store


def record(store: Store, at: datetime, *, seed: int = 2026) -> int:
    """Record the demo's complaints through the services as of `at` (the world's load time); returns how many."""
    return 0

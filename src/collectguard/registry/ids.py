"""Server-made ids of tenant-owned objects (registry/tenancy.py says why): a prefix per kind, readable in logs, and
80 random bits, never guessable. No model is imported here, so input schemas can make ids without the tables."""

from __future__ import annotations

import secrets

PREFIXES = {
    "agency": "agc", "agreement": "agr", "collector": "col", "tool": "tool", "template": "tpl", "debtor": "dbt",
    "contact": "ctc", "debt": "debt", "evaluation": "eva", "inspection": "insp", "order": "rect", "staff": "stf",
}


def new_id(kind: str) -> str:
    return f"{PREFIXES[kind]}_{secrets.token_hex(10)}"

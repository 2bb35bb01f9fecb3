"""The append-only, hash-chained ledger of every decision, outcome and event (kept ≥ 2 years)."""

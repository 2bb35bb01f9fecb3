"""Query parameters shared by the list routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_OFFSET = 1_000_000
# Bounded: a deeper page is never useful (filter instead), and an unbounded one overflowed the database's
# integer (a 500 on PostgreSQL past 2**63).
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过条数 items to skip (0–1,000,000)")]

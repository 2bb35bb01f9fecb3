"""Keeping a query off an index that would only slow it down.

SQLite's planner has no statistics unless someone runs ANALYZE, so between two usable indexes it may take the one
that matches nearly every row — the institution's, on tables where one institution owns almost everything — and
walk millions of rows to return a few. Comparing such a column through an expression (`column || ''`, the same
value) leaves that index out, so the selective one (a subject, a collector, a debtor) bounds the read. PostgreSQL
reads it the same way and plans from its own statistics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def unindexed(column: Any) -> ColumnElement[Any]:
    """The column's value, compared without its index (`column || ''`)."""
    expression: ColumnElement[Any] = column.concat("")
    return expression

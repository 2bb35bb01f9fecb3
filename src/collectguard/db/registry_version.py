"""The registry version: one number that moves whenever a row the gate caches changes.

The gate keeps an in-process snapshot of what rarely changes (gate/snapshot.py) and compares this version
before each decision, reloading on any move — correct across threads, worker processes and servers. Rows
the snapshot is built from are `GateCached`; a listener on every session's flush moves the version, once
per transaction, when the flush inserts, changes or deletes one of them. So whatever path changes such a row
(an endpoint, a bulk load, the CLI, a test with its own session), the gate sees it at the next decision.

A bulk Core `UPDATE` of a cached table (not through the ORM) bypasses the listener: none exists in src, and
one added later must move the version itself (`bump`).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import Integer, event, insert, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from collectguard.db.base import Base

BUMPED = "registry_version_moved"  # session.info flag: moved already in this transaction


class RegistryState(Base):
    """One row: a version moved by every change to what the gate caches (institutions, agencies, their
    listings, approvals and agreements, collectors, their trainings and acceptances, tools, templates and
    their versions)."""

    __tablename__ = "registry_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class GateCached:
    """Mixin for the models whose rows the gate's registry snapshot is built from."""


def bump(session: Session) -> None:
    """Move the registry version in this transaction (once; later calls in the same transaction do nothing)."""
    if session.info.get(BUMPED):
        return
    table = RegistryState.__table__
    conn = session.connection()
    moved = conn.execute(update(table).where(table.c.id == 1).values(version=table.c.version + 1))
    if moved.rowcount == 0:  # an emptied database: start the count again
        conn.execute(insert(table).values(id=1, version=1))
    session.info[BUMPED] = True


@event.listens_for(Session, "before_flush")
def _cached_rows_changed(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(BUMPED):
        return
    for row in chain(session.new, session.deleted, session.dirty):
        if isinstance(row, GateCached) and (row in session.new or row in session.deleted or session.is_modified(row)):
            bump(session)
            return


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: the next one moves the version again
        session.info.pop(BUMPED, None)

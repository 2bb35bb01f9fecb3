"""The store: SQLAlchemy 2 on SQLite (default, WAL) or PostgreSQL, one set of Alembic migrations."""

from collectguard.db.store import Store

__all__ = ["Store"]

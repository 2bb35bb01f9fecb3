"""One set of migrations serves both backends and matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from collectguard.db.migrate import current
from collectguard.db.models import metadata
from collectguard.db.store import normalise_url


def test_migrated_schema_matches_the_models(db_url):
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []
    assert current(db_url) is not None

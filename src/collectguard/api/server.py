"""The ASGI entry point for `collectguard serve` (uvicorn imports `app` from here)."""

from __future__ import annotations

from collectguard.api.app import create_app
from collectguard.config import Settings

_settings = Settings.from_env()
app = create_app(_settings.db_url, migrate=False, algorithm=_settings.ledger_hash)

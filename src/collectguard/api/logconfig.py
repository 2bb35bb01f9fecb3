"""Logging for the server: every handler passes through the redacting filter, so a phone number or ID
number that slips into a message is masked before it is written (art. 19(二)3)."""

from __future__ import annotations

from typing import Any


def log_config(level: str = "INFO") -> dict[str, Any]:
    redact = {"redact": {"()": "collectguard.privacy.RedactingFilter"}}
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "filters": ["redact"], "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": redact,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "collectguard": {"handlers": ["default"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }

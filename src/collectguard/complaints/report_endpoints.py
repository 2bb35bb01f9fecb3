"""投诉报告 An agency's periodic complaint report over HTTP (art. 22). SKELETON: filled by the reports helper."""

from __future__ import annotations

from fastapi import APIRouter

from collectguard.api.responses import ERRORS

router = APIRouter(prefix="/v1", tags=["complaints 投诉"], responses=ERRORS)

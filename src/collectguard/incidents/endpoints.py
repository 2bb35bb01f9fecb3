"""事件 Incidents over HTTP (arts. 21(二), 24). SKELETON: filled by the incidents helper."""

from __future__ import annotations

from fastapi import APIRouter

from collectguard.api.responses import ERRORS

router = APIRouter(prefix="/v1", tags=["incidents 事件"], responses=ERRORS)

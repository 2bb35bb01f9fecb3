"""投诉 Complaints over HTTP (arts. 22, 23, 27). SKELETON: filled by the complaints helper."""

from __future__ import annotations

from fastapi import APIRouter

from collectguard.api.responses import ERRORS

router = APIRouter(prefix="/v1", tags=["complaints 投诉"], responses=ERRORS)

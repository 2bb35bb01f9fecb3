"""保存与删除 Retention and deletion over HTTP (arts. 12, 20(四), 21(三)). SKELETON: filled by the retention helper."""

from __future__ import annotations

from fastapi import APIRouter

from collectguard.api.responses import ERRORS

router = APIRouter(prefix="/v1", tags=["retention 保存与删除"], responses=ERRORS)

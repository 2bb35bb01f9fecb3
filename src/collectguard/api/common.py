"""What every domain's endpoints share: a page of a list, path parameters, the registry's permissions and the
tenancy guards that need no query (art. 19(五), 20(三))."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query
from pydantic import BaseModel

from collectguard.api.deps import require
from collectguard.auth.roles import FIELD_EVENTS, Permission, Principal, Role
from collectguard.auth.service import Forbidden
from collectguard.errors import NotFound

T = TypeVar("T")

Reader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ))]
Writer = Annotated[Principal, Depends(require(Permission.REGISTRY_WRITE))]
Approver = Annotated[Principal, Depends(require(Permission.TEMPLATE_APPROVE))]
Placer = Annotated[Principal, Depends(require(Permission.PLACEMENT_WRITE))]
# An agency's people: the institution for its in-house collectors, the agency's own key for the agency's.
StaffWriter = Annotated[Principal, Depends(require(Permission.REGISTRY_WRITE, Permission.STAFF_WRITE))]
StaffReader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ, Permission.STAFF_WRITE))]
EventWriter = Annotated[Principal, Depends(require(Permission.EVENT_WRITE))]
StaffEvents = Annotated[Principal, Depends(require(Permission.EVENT_WRITE, Permission.STAFF_WRITE))]
EVENTS: list[str | Enum] = ["events 事件"]  # what changes what the gate decides
Limit = Annotated[int, Query(ge=1, le=500, description="每页条数 page size (1–500)")]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total across all pages."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page(rows: tuple[Sequence[Any], int], limit: int, offset: int, out: Callable[[Any], Any]) -> Page[Any]:
    """A page from a repository's (rows, total), each row shown by `out`."""
    items, total = rows
    return Page[Any](items=[out(r) for r in items], total=total, limit=limit, offset=offset)


def institution_only(p: Principal, what: str) -> None:
    """Families an agency operator does not need (art. 20(三)): the institution's own business."""
    if p.agency_id is not None:
        raise Forbidden(f"催收机构无权查看{what}", f"an agency may not read {what} (minimum necessary, art. 20(三))")


def own_institution(p: Principal, institution: str, field: str = "institution") -> None:
    if institution != p.institution_id:
        raise NotFound("institution", institution, field=field)


def may_record(p: Principal, event: str) -> None:
    """Events an agency's field staff may not record (anything but FIELD_EVENTS) are the institution's own:
    its administrator or compliance officer."""
    if event not in FIELD_EVENTS and p.role not in (Role.INSTITUTION_ADMIN, Role.COMPLIANCE_OFFICER):
        raise Forbidden(f"角色 {p.role.value} 不能登记此事件", f"role {p.role.value} may not record {event}")

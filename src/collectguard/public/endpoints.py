"""公开信息 Public disclosure over HTTP (arts. 13, 23).

`/v1/…`: an institution's complaint channels (set by its administrator: `registry:write`), an agency's public
contact (set by the agency's own key, `agency_admin`). `/public/{institution}/…`: no key — the HTML page and the
JSON of the agencies the institution entrusts today and of its complaint channels, computed live in one
read-only unit; an unknown institution is a 404. The page carries a complaint form (no script): it posts to
`/public/{institution}/complaint-form` and answers with an acknowledgement page (the reference and the day of the
answer); `POST /public/{institution}/complaints` takes the same as JSON. Both register a complaint on channel `web`
(complaints.service.register) in one write unit; no key, no cookie, so no CSRF token to check."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from collectguard.api.common import PathId, Reader, Writer, own_institution
from collectguard.api.deps import Now, UnitsDep, require
from collectguard.api.responses import ERRORS, ErrorOut
from collectguard.auth.roles import Permission, Principal
from collectguard.auth.service import Forbidden
from collectguard.complaints.schemas import ComplaintAck, PublicComplaintIn
from collectguard.errors import CollectGuardError, NotFound
from collectguard.public import page, service
from collectguard.public import repository as repo
from collectguard.public.schemas import (
    AgencyContactIn,
    AgencyContactOut,
    ComplaintChannelsIn,
    ComplaintChannelsOut,
    PublicAgencies,
    PublicComplaints,
)

router = APIRouter(prefix="/v1")
pages = APIRouter(prefix="/public")
TAGS: list[str | Enum] = ["public 公开信息"]
ContactWriter = Annotated[Principal, Depends(require(Permission.STAFF_WRITE))]
ContactReader = Annotated[Principal, Depends(require(Permission.REGISTRY_READ, Permission.STAFF_WRITE))]

CHANNEL_EXAMPLES = {"channels": {"summary": "电话、邮箱、地址与默认流程 Phone, e-mail, address and the default process",
                                 "value": {"phones": ["95588"], "emails": ["complaints@bank.example.cn"],
                                           "address": "北京市西城区复兴门内大街 1 号 100032",
                                           "service_hours": "每日 9:00–21:00"}}}


# == complaint channels (art. 23) =====================================================================
@router.put("/institutions/{institution_id}/complaint-channels", response_model=ComplaintChannelsOut, tags=TAGS,
            responses=ERRORS, summary="设置投诉渠道与流程 Set the complaint channels and process (art. 23)")
def put_complaint_channels(institution_id: PathId,
                           body: Annotated[ComplaintChannelsIn, Body(openapi_examples=CHANNEL_EXAMPLES)],
                           p: Writer, units: UnitsDep, at: Now) -> ComplaintChannelsOut:
    """The whole set, replacing the last (the institution administrator: `registry:write`). At least one channel;
    phone numbers valid in China; the response time no longer than the policy's `complaint_days` (15 by
    default). Published at once on `/public/{institution}/`; recorded in the ledger."""
    own_institution(p, institution_id, "institution_id")
    with units.write(at) as unit:
        return service.channels_out(service.set_complaint_channels(unit, institution_id, body))


@router.get("/institutions/{institution_id}/complaint-channels", response_model=ComplaintChannelsOut, tags=TAGS,
            responses=ERRORS, summary="查看投诉渠道与流程 Read the complaint channels and process")
def get_complaint_channels(institution_id: PathId, p: Reader, units: UnitsDep) -> ComplaintChannelsOut:
    own_institution(p, institution_id, "institution_id")
    with units.read() as session:
        row = repo.channels(session, institution_id)
        if row is None:
            raise NotFound("complaint channels", institution_id, field="institution_id")
        return service.channels_out(row)


# == an agency's public contact (art. 13) =============================================================
def _own_agency(p: Principal, agency_id: str) -> None:
    """The agency's contact is its own shared record: only its own key (`agency_admin`) writes it over HTTP."""
    if not p.is_agency_admin:
        raise Forbidden("催收机构的对外联系方式由该机构自行维护（机构自有密钥或平台）",
                        "an agency's public contact is the agency's own record: its own key (agency_admin) or the "
                        "platform sets it")
    if p.agency_id != agency_id:
        raise NotFound("agency", agency_id, field="agency_id")


@router.put("/agencies/{agency_id}/public-contact", response_model=AgencyContactOut, tags=TAGS, responses=ERRORS,
            summary="设置催收机构对外联系方式 Set an agency's public contact (its own key)")
def put_agency_contact(agency_id: PathId, body: AgencyContactIn, p: ContactWriter, units: UnitsDep,
                       at: Now) -> AgencyContactOut:
    """The phone and address every institution that entrusts the agency publishes beside its name (art. 13)."""
    _own_agency(p, agency_id)
    with units.write(at) as unit:
        return service.contact_out(service.set_agency_contact(unit, agency_id, body))


@router.get("/agencies/{agency_id}/public-contact", response_model=AgencyContactOut, tags=TAGS, responses=ERRORS,
            summary="查看催收机构对外联系方式 Read an agency's public contact")
def get_agency_contact(agency_id: PathId, p: ContactReader, units: UnitsDep) -> AgencyContactOut:
    with units.read() as session:
        if p.is_agency_admin:
            _own_agency(p, agency_id)
        else:
            repo.visible_agency(session, p, agency_id)
        row = repo.contact(session, agency_id)
        if row is None:
            raise NotFound("public contact", agency_id, field="agency_id")
        return service.contact_out(row)


# == the public pages: no key =========================================================================
NOT_FOUND_JSON: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "未知机构 Unknown institution"},
    422: {"model": ErrorOut, "description": "机构编号格式错误 A malformed institution id"},
    503: {"model": ErrorOut, "description": "数据库暂不可用，请重试 Database unavailable; retry"},
}
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
NOT_FOUND_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "公示页面 The public page"},
    404: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "未知机构 Unknown institution"},
    # errors before the page: JSON, as everywhere else (ErrorOut is in the document's components: document_errors)
    422: {"content": _JSON_ERROR, "description": "机构编号格式错误 A malformed institution id"},
    503: {"content": _JSON_ERROR, "description": "数据库暂不可用，请重试 Database unavailable; retry"},
}


@pages.get("/{institution}/", response_class=HTMLResponse, tags=TAGS, responses=NOT_FOUND_HTML,
           summary="公示页面 The public page: entrusted agencies, complaint channels and process")
def public_page(institution: PathId, units: UnitsDep, at: Now) -> HTMLResponse:
    with units.read() as session:
        try:
            agencies = service.public_agencies(session, institution, at)
        except NotFound:
            return HTMLResponse(page.not_found(institution), status_code=404, headers=page.HEADERS)
        complaints = service.public_complaints(session, institution)
    return HTMLResponse(page.render(agencies, complaints), headers=page.HEADERS)


@pages.get("/{institution}/agencies.json", response_model=PublicAgencies, tags=TAGS, responses=NOT_FOUND_JSON,
           summary="合作催收机构 The agencies entrusted today (art. 13)")
def public_agencies(institution: PathId, units: UnitsDep, at: Now) -> PublicAgencies:
    """On the institution's name list, active, under an agreement covering today in the institution's zone; with
    each agency's public contact. `version` changes whenever the list does; `ledger_seq` is the latest change
    to the name list in the ledger."""
    with units.read() as session:
        return service.public_agencies(session, institution, at)


@pages.get("/{institution}/complaints.json", response_model=PublicComplaints, tags=TAGS, responses=NOT_FOUND_JSON,
           summary="投诉渠道与流程 Complaint channels and process (art. 23)")
def public_complaints(institution: PathId, units: UnitsDep) -> PublicComplaints:
    with units.read() as session:
        return service.public_complaints(session, institution)


# == the complaint form (art. 23): no key ===============================================================
@pages.post("/{institution}/complaints", response_model=ComplaintAck, status_code=201, tags=TAGS,
            responses={**NOT_FOUND_JSON, 400: ERRORS[400]}, summary="网上投诉 Complain online (the public web form, as JSON)")
def public_complaint(institution: PathId, body: PublicComplaintIn, units: UnitsDep, at: Now) -> ComplaintAck:
    """Registered on channel `web`; the answer carries the reference and the last day of the answer (15 days, or
    the institution's stricter policy). Someone complaining for another person (`proxy_name`) is warned that a
    valid authorisation is needed."""
    with units.write(at) as unit:
        return service.web_complaint(unit, institution, body)


FORM_FIELDS = ("complainant_name", "complainant_phone", "complainant_email", "agency_name", "proxy_name", "text")


_HTML = {"text/html": {"schema": {"type": "string"}}}
FORM_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"content": _HTML, "description": "已登记：回执页面 Registered: the acknowledgement page"},
    404: {"content": _HTML, "description": "未知机构 Unknown institution"},
    422: {"content": {**_HTML, **_JSON_ERROR}, "description": "表单有误：页面连同所填内容与错误说明 The form again, "
          "with what is wrong (HTML); a malformed institution id (JSON)"},
    503: {"content": _JSON_ERROR, "description": "数据库暂不可用，请重试 Database unavailable; retry"},
}


def _form_schema() -> dict[str, Any]:
    """The JSON body's schema as a form states it: a form has no null, a field left out is absent."""
    schema = PublicComplaintIn.model_json_schema()
    for name, prop in schema["properties"].items():
        branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            schema["properties"][name] = {**{k: v for k, v in prop.items() if k not in ("anyOf", "default")},
                                          **branches[0]}
    return schema


FORM_BODY = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
    "schema": _form_schema()}}}}


@pages.post("/{institution}/complaint-form", response_class=HTMLResponse, status_code=201, tags=TAGS,
            responses=FORM_RESPONSES, openapi_extra=FORM_BODY,
            summary="网上投诉表单 The public page's complaint form (form-encoded; answers a page)")
async def public_complaint_form(institution: PathId, request: Request, units: UnitsDep, at: Now) -> HTMLResponse:
    """What the page's form posts: an acknowledgement page with the reference and the day of the answer, or the
    form again with what is wrong (422), in Chinese and English."""
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in FORM_FIELDS}
    sent = {k: v for k, v in values.items() if v != ""}  # an input left empty is not sent
    with units.read() as session:
        try:
            agencies = service.public_agencies(session, institution, at)
        except NotFound:
            return HTMLResponse(page.not_found(institution), status_code=404, headers=page.HEADERS)
        complaints = service.public_complaints(session, institution)
    try:
        body = PublicComplaintIn.model_validate(sent)
        with units.write(at) as unit:
            ack = service.web_complaint(unit, institution, body)
    except CollectGuardError as exc:
        return HTMLResponse(page.render(agencies, complaints, form=values, error=(exc.message_zh, exc.message_en)),
                            status_code=422, headers=page.HEADERS)
    except ValidationError as exc:  # a field too long, a phone that is not one, no text
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        error = (f"请检查以下内容：{fields}", f"please check: {fields}") if fields else (
            "请留下电话或邮箱以便答复", "leave a phone number or an e-mail address for the answer")
        return HTMLResponse(page.render(agencies, complaints, form=values, error=error), status_code=422,
                            headers=page.HEADERS)
    return HTMLResponse(page.render(agencies, complaints, ack=ack), status_code=201, headers=page.HEADERS)

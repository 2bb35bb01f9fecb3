"""Public disclosure (arts. 13, 23): set an institution's complaint channels and an agency's public contact, each
change in the ledger; compute the public answers live from the tables; record the public agency list in the
ledger when it changes (`record_disclosure`, called by the services that change a name list). Services never
commit."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import shortnumberinfo
from sqlalchemy.orm import Session

from collectguard.agencies.models import Agency
from collectguard.complaints.schemas import (
    ComplaintAck,
    ComplaintChannel,
    ComplaintIn,
    ProxyIn,
    PublicComplaintIn,
)
from collectguard.errors import InvalidInput, NotFound
from collectguard.ledger.tags import Tag
from collectguard.public import repository as repo
from collectguard.public.models import AgencyContact, ComplaintChannels
from collectguard.public.schemas import (
    COMPLAINT_DAYS,
    STEP_TITLES,
    STEPS,
    AgencyContactIn,
    AgencyContactOut,
    ComplaintChannelsIn,
    ComplaintChannelsOut,
    ComplaintStep,
    ProcessStepOut,
    PublicAgencies,
    PublicAgency,
    PublicComplaints,
)
from collectguard.registry import tenancy
from collectguard.registry.models import Institution
from collectguard.registry.unit import Unit

REGION = "CN"


# == validation beyond the document ===================================================================
def phone(value: str, field: str) -> str:
    """A Chinese phone number as published: a full number (mobile, fixed line with area code, 400/800) in national
    format ("010 6608 8888"), or a valid short service number (95588, 12378) as dialled. 422 naming `field`."""
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.country_code == 86:
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if shortnumberinfo.is_valid_short_number_for_region(number, REGION):
            return str(number.national_number)
    raise InvalidInput(f"{value} 不是有效的中国电话号码", f"{value} is not a valid phone number in China "
                       "(a mobile, a fixed line with its area code, 400/800, or a service number such as 95588)",
                       field=field)


def _process(data: ComplaintChannelsIn) -> list[dict[str, Any]]:
    """The four steps in their order, each with the institution's notes if it gave any."""
    steps = []
    for step in STEPS:
        notes = getattr(data.process, step.value) if data.process is not None else None
        steps.append({"step": str(step), "note_zh": notes.note_zh if notes else None,
                      "note_en": notes.note_en if notes else None})
    return steps


def process_out(process: list[dict[str, Any]]) -> list[ProcessStepOut]:
    out = []
    for item in process:
        step = ComplaintStep(item["step"])
        zh, en = STEP_TITLES[step]
        out.append(ProcessStepOut(step=step, title_zh=zh, title_en=en, note_zh=item.get("note_zh"),
                                  note_en=item.get("note_en")))
    return out


# == complaint channels (art. 23) =====================================================================
def set_complaint_channels(unit: Unit, institution_id: str, data: ComplaintChannelsIn) -> ComplaintChannels:
    """Replace the institution's complaint channels and process (PUT: the whole set), recorded in the ledger."""
    inst = unit.get(Institution, institution_id, kind="institution", field="institution_id")
    if not (data.phones or data.emails or data.address or data.web_form_url):
        raise InvalidInput("至少公布一种投诉渠道：电话、电子邮箱、通信地址或网页表单",
                           "publish at least one complaint channel: a phone, an e-mail, a postal address or a web "
                           "form", field="phones")
    phones = [phone(p, f"phones.{i}") for i, p in enumerate(data.phones)]
    if len(set(phones)) != len(phones):
        raise InvalidInput("投诉电话重复", "a complaint phone number is listed twice", field="phones")
    most = repo.complaint_days(inst, COMPLAINT_DAYS)
    days = most if data.response_days is None else data.response_days
    if days > most:
        raise InvalidInput(f"答复期限不得超过 {most} 天（第22条、机构政策）",
                           f"the response time may not exceed {most} days (art. 22, the institution's policy)",
                           field="response_days")
    values: dict[str, Any] = {
        "phones": phones, "emails": [e.lower() for e in data.emails], "address": data.address,
        "web_form_url": data.web_form_url, "service_hours": data.service_hours, "process": _process(data),
        "response_days": days,
    }
    row = unit.session.get(ComplaintChannels, institution_id)
    if row is None:
        row = ComplaintChannels(institution_id=institution_id, updated_at=unit.at, **values)
        unit.session.add(row)
    else:
        for attr, value in values.items():
            setattr(row, attr, value)
        row.updated_at = unit.at
    unit.record(Tag.PUBLIC_COMPLAINT_CHANNELS_CHANGED, institution_id, values, institution_id)
    return row


def channels_out(row: ComplaintChannels) -> ComplaintChannelsOut:
    return ComplaintChannelsOut(
        institution_id=row.institution_id, phones=list(row.phones), emails=list(row.emails), address=row.address,
        web_form_url=row.web_form_url, service_hours=row.service_hours, process=process_out(row.process),
        response_days=row.response_days, updated_at=row.updated_at.astimezone(UTC))


# == an agency's public contact (art. 13) =============================================================
def set_agency_contact(unit: Unit, agency_id: str, data: AgencyContactIn) -> AgencyContact:
    """Set the agency's public business contact (a shared record: its own key or the platform). Recorded for
    every institution that entrusts the agency, and the public list of each institution that shows it today is
    recorded again (`record_disclosure`)."""
    unit.get(Agency, agency_id, kind="agency", field="agency_id")
    if data.phone is None and data.address is None:
        raise InvalidInput("请提供对外电话或地址", "give a public phone, an address, or both", field="phone")
    number = phone(data.phone, "phone") if data.phone is not None else None
    row = unit.session.get(AgencyContact, agency_id)
    if row is None:
        row = AgencyContact(agency_id=agency_id, phone=number, address=data.address, updated_at=unit.at)
        unit.session.add(row)
    else:
        row.phone, row.address, row.updated_at = number, data.address, unit.at
    unit.record_for_agency(Tag.PUBLIC_AGENCY_CONTACT_CHANGED, agency_id, {"phone": number, "address": data.address},
                           agency_id)
    unit.session.flush()
    for institution_id in tenancy.institutions_of_agency(unit.session, agency_id):
        inst = unit.get(Institution, institution_id, kind="institution")
        day = unit.at.astimezone(ZoneInfo(repo.zone_name(inst))).date()
        if any(e.agency.id == agency_id for e in repo.entrusted(unit.session, institution_id, day)):
            record_disclosure(unit, institution_id)
    return row


def contact_out(row: AgencyContact) -> AgencyContactOut:
    return AgencyContactOut(agency_id=row.agency_id, phone=row.phone, address=row.address,
                            updated_at=row.updated_at.astimezone(UTC))


# == the public answers ===============================================================================
def _public_agencies(session: Session, inst: Institution, at: datetime) -> tuple[str, Any, list[PublicAgency]]:
    zone = repo.zone_name(inst)
    day = at.astimezone(ZoneInfo(zone)).date()
    agencies = [PublicAgency(name=e.agency.name or e.agency.id, phone=e.contact.phone if e.contact else None,
                             address=e.contact.address if e.contact else None,
                             subcontractor_of=(e.parent.name or e.parent.id) if e.parent else None)
                for e in repo.entrusted(session, inst.id, day)]
    return zone, day, agencies


def version(agencies: list[PublicAgency]) -> str:
    """A hash of the public list: it changes exactly when what the list shows changes (an agency listed,
    suspended, its agreement starting or ending, its contact changed)."""
    text = json.dumps([a.model_dump(mode="json") for a in agencies], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_agencies(session: Session, institution_id: str, at: datetime) -> PublicAgencies:
    """The agencies the institution entrusts today (its zone), with their public contacts. 404 if unknown."""
    inst = repo.institution(session, institution_id)
    if inst is None:
        raise NotFound("institution", institution_id, field="institution")
    zone, day, agencies = _public_agencies(session, inst, at)
    return PublicAgencies(institution=inst.id, institution_name=inst.name, as_of=day, zone=zone,
                          version=version(agencies), ledger_seq=repo.latest_listing_seq(session, inst.id),
                          agencies=agencies)


def public_complaints(session: Session, institution_id: str) -> PublicComplaints:
    """The institution's complaint channels and process; `published: false` until it sets them. 404 if unknown."""
    inst = repo.institution(session, institution_id)
    if inst is None:
        raise NotFound("institution", institution_id, field="institution")
    row = repo.channels(session, institution_id)
    if row is None:
        return PublicComplaints(institution=inst.id, institution_name=inst.name, published=False,
                                process=process_out([{"step": str(s)} for s in STEPS]))
    return PublicComplaints(
        institution=inst.id, institution_name=inst.name, published=True, phones=list(row.phones),
        emails=list(row.emails), address=row.address, web_form_url=row.web_form_url,
        service_hours=row.service_hours, process=process_out(row.process), response_days=row.response_days)


def record_disclosure(unit: Unit, institution_id: str) -> int:
    """Record the institution's public agency list as it is now (`public:agency-list:changed`: the day, its
    version and every agency's name and contact); returns the ledger seq. Call it in the same unit of work as
    any change to a name list, an agreement or a listing status (listing, delisting, termination, rectification
    with a stop): the ledger then holds every version the public saw."""
    unit.session.flush()
    inst = unit.get(Institution, institution_id, kind="institution", field="institution")
    zone, day, agencies = _public_agencies(unit.session, inst, unit.at)
    payload = {"as_of": day.isoformat(), "zone": zone, "version": version(agencies),
               "agencies": [a.model_dump(mode="json") for a in agencies]}
    return unit.record(Tag.PUBLIC_AGENCY_LIST_CHANGED, institution_id, payload, institution_id)


# == the web form (art. 23): a complaint without a key ==================================================
def web_complaint(unit: Unit, institution_id: str, data: PublicComplaintIn) -> ComplaintAck:
    """Register what the public form sent as a complaint on channel `web` (complaints.service.register): the agency
    is named as the public list shows it today (another name is kept as the complaint's note); someone complaining
    for another person is a proxy whose authorisation cannot be checked online, so the complaint is flagged and
    they are warned."""
    from collectguard.complaints import (
        service as complaints,  # here: oversight → agencies → public imports this
    )

    inst = repo.institution(unit.session, institution_id)
    if inst is None:
        raise NotFound("institution", institution_id, field="institution")
    agency, note = None, None
    if data.agency_name:
        zone = ZoneInfo(repo.zone_name(inst))
        names = {(e.agency.name or e.agency.id): e.agency.id
                 for e in repo.entrusted(unit.session, inst.id, unit.at.astimezone(zone).date())}
        agency = names.get(data.agency_name.strip())
        if agency is None:  # not on today's list: kept for the investigator, never a reason to refuse
            note = f"投诉人所称机构（不在今日公示名单）/ agency named, not on today's list: {data.agency_name.strip()}"
    event = complaints.register(unit, ComplaintIn(
        id=f"cmp_{secrets.token_hex(10)}", institution=inst.id, agency=agency, channel=ComplaintChannel.WEB,
        proxy=ProxyIn(name=data.proxy_name, authorisation=False) if data.proxy_name else None,
        complainant_name=data.complainant_name, complainant_phone=data.complainant_phone,
        complainant_email=data.complainant_email, text=data.text, note=note))
    due = date.fromisoformat(event.detail["due_date"])
    day = unit.at.astimezone(ZoneInfo(repo.zone_name(inst))).date()
    zh = f"您的投诉已登记，编号 {event.subject}。我们将于 {due.isoformat()} 前答复您。"
    en = f"Your complaint is registered as {event.subject}. We will answer by {due.isoformat()}."
    if event.detail.get("proxy_warning"):
        zh += "您代他人投诉但未能在线出示授权：请补充当事人的有效授权，否则我们只能告知有限的处理结果。"
        en += (" You complain for someone else without an authorisation we can check online: please send a valid "
               "authorisation from the person concerned, or the result we can tell you will be limited.")
    return ComplaintAck(reference=event.subject, institution=inst.id, received_day=day, answer_by=due,
                        proxy_warning=bool(event.detail.get("proxy_warning")), message_zh=zh, message_en=en)

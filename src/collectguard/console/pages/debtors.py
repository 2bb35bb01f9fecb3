"""债务人 Debtors: find one by phone, ID number, debtor id or debt id; a page of debtors (masked); one debtor's
timeline — every attempt with the gate's answer and the rules it cited, outcomes, holds, repayments, stop notices,
refusals and placements, newest first — and the recorded reveal of the debtor's personal data.

Personal data is masked everywhere (art. 19(二)3). Phone and ID numbers are searched with a POST form, so a number
typed in never stands in a URL (history, proxies, referrers). Every masked read is recorded as the API records it
(`privacy:pii:read`); a reveal (`pii:reveal`, with a reason category and a short note) is recorded
(`privacy:pii:revealed`, debts.service.record_reveal) before the clear values are shown, in that response only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import debtors as reads
from collectguard.debts import service
from collectguard.errors import InvalidInput
from collectguard.privacy.reveal import NOTE_MAX, RevealReason, clean_note
from collectguard.rulebook.vocabulary import DebtorStatus

router = APIRouter()
BENCH_PAGES = ["/debtors", "/debtors/{debtor}", "/debtors/{debtor}?show=denied&page=2"]

Viewer = Annotated[web.Viewer, Depends(web.allowed(Permission.REGISTRY_READ))]
Searcher = Annotated[web.Viewer, Depends(web.acting(Permission.REGISTRY_READ))]
Revealer = Annotated[web.Viewer, Depends(web.acting(Permission.PII_REVEAL))]
DebtorId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00/]+$")]
SHOWS = ("all", "attempts", "denied", "events")
REASONS = [(r.value, *r.label.split(" ", 1)) for r in RevealReason]  # (value, 中文, English)
LABELS: dict[str, dict[str, tuple[str, str]]] = {  # what the templates show for the stored codes
    "channel": web.CHANNELS,
    "mode": {"notification": ("告知式", "notification"), "interactive": ("交互式", "interactive")},
    "lease": {"none": ("不占额度", "no quota"), "held": ("占用中（待结果）", "held (awaiting outcome)"),
              "consumed": ("已计入额度", "consumed"), "released": ("已释放", "released"),
              "expired": ("超时计入", "expired (counted)")},
    "status": {"normal": ("正常", "normal"), "unreachable": ("失联", "unreachable"), "deceased": ("已故", "deceased"),
               "incapacitated": ("无民事行为能力", "incapacitated")},
    "hold": {"dispute": ("债务争议", "dispute"), "regulator_complaint": ("投诉升级至监管", "complaint to the regulator"),
             "hardship": ("经济困难", "hardship"), "litigation": ("诉讼中", "litigation"),
             "suspected_fraud": ("疑似欺诈", "suspected fraud"), "identity_theft": ("身份冒用", "identity theft"),
             "deceased": ("死亡", "deceased")},
    "party": {"debtor": ("债务人", "debtor"), "guarantor": ("担保人", "guarantor"), "contact": ("联系人", "contact")},
    "notice": {"pending": ("待送达", "pending"), "delivered": ("已送达", "delivered"), "failed": ("送达失败", "failed")},
    "reason": {r.value: tuple(r.label.split(" ", 1)) for r in RevealReason},  # type: ignore[misc]
    "how": {"phone": ("手机号", "phone number"), "id_number": ("身份证号", "ID number"),
            "contact_phone": ("联系人手机号", "a contact's phone"), "debtor_id": ("债务人编号", "debtor id"),
            "debt_id": ("债务编号", "debt id")},
}


# -- the list and the search -----------------------------------------------------------------------------------
def _list(request: Request, v: web.Viewer, text: str) -> dict[str, Any]:
    t = web.Table.of(request, sorts=["id", "status", "timezone"], default_sort="id", filters=["status"])
    status = t.filters.get("status")
    if status is not None and status not in {s.value for s in DebtorStatus}:
        status = None
    at = web.now_of(request)
    with web.units_of(request).write(at) as unit:  # masked reads are recorded: one write unit
        taken, found = reads.search(unit.session, v.principal, at, text) if text else ("", [])
        rows, total = reads.debtors_page(unit.session, v.principal, at, sort=t.sort, desc=t.desc, status=status,
                                         limit=t.size, offset=t.offset)
        ids = list(dict.fromkeys([f.person.id for f in found] + [r.id for r in rows]))
        service.record_read(unit, v.principal, "debtor", ids, subject="debtors")
    return {"t": t, "rows": rows, "total": total, "found": found, "taken": taken, "searched": bool(text),
            "statuses": [s.value for s in DebtorStatus], "labels": LABELS}


@router.get("/debtors")
async def debtors(request: Request, v: Viewer) -> Response:
    """The search form and a page of debtors. `?q=` finds a debtor id or debt id only: numbers are searched by
    POST, never from a URL."""
    q = request.query_params.get("q", "").strip()[:64]
    text = q if reads.IDENT.match(q) and not reads.PHONE.match(q) else ""
    context = await run_in_threadpool(_list, request, v, text)
    return web.render(request, "debtors.html", {**context, "q": text}, v=v)


@router.post("/debtors")
async def search(request: Request, v: Searcher, q: Annotated[str, Form(max_length=100)] = "") -> Response:
    """A search by phone number or ID number (typed in full), or by debtor or debt id. The number is not echoed
    back into the form, so it leaves no trace in the page either."""
    context = await run_in_threadpool(_list, request, v, q.strip())
    return web.render(request, "debtors.html", {**context, "q": ""}, v=v)


# -- one debtor -----------------------------------------------------------------------------------------------
def _debtor(request: Request, v: web.Viewer, debtor_id: str, reveal: tuple[str, str | None] | None) -> dict[str, Any]:
    t = web.Table.of(request, sorts=["at"], default_sort="at", default_desc=True, filters=["show"], size=25)
    show = t.filters.get("show", "all")
    show = show if show in SHOWS else "all"
    at = web.now_of(request)
    p = v.principal
    with web.units_of(request).write(at) as unit:
        row, debts = reads.visible_debtor(unit.session, p, debtor_id, at)
        who = reads.person(row, p, reveal=reveal is not None)
        if reveal is not None:  # recorded before the values are shown, as GET /v1/debtors/{id}?reveal=true
            service.record_reveal(unit, p, row.id, reads.revealed_fields(who), reveal[0], reveal[1])
        else:
            service.record_read(unit, p, "debtor", [row.id])
        contacts = reads.contacts(unit.session, row.id)
        if contacts:
            service.record_read(unit, p, "contact", [c.id for c in contacts], subject=row.id)
        line = reads.timeline(unit.session, p, row, debts, at, limit=t.size, offset=t.offset, show=show, lang=v.lang)
        owed = reads.debts_view(unit.session, row.id, debts, at)
    return {"t": t, "show": show, "who": who, "contacts": contacts, "line": line, "debts": owed,
            "reasons": REASONS, "note_max": NOTE_MAX, "can_reveal": v.can(Permission.PII_REVEAL), "labels": LABELS,
            "shows": SHOWS}


@router.get("/debtors/{debtor_id}")
async def debtor(request: Request, v: Viewer, debtor_id: DebtorId) -> Response:
    context = await run_in_threadpool(_debtor, request, v, debtor_id, None)
    return web.render(request, "debtors_timeline.html", context, v=v)


@router.post("/debtors/{debtor_id}")
async def reveal(request: Request, v: Revealer, debtor_id: DebtorId,
                 reason: Annotated[str, Form(max_length=40)] = "",
                 note: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The clear values, for this response only (never kept in a cookie or a URL), recorded in the ledger with the
    reason category and the note (masked), never the values."""
    try:
        why = RevealReason(reason)
    except ValueError:
        raise InvalidInput("查看明文须选择理由类别", "a reveal needs a reason category", field="reason") from None
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"补充说明至多 {NOTE_MAX} 字", f"the note may have at most {NOTE_MAX} characters",
                           field="note")
    cleaned = clean_note(note)
    if why is RevealReason.OTHER and cleaned is None:
        raise InvalidInput("理由为“其他”时须填写补充说明", "reason “other” needs a note saying why", field="note")
    context = await run_in_threadpool(_debtor, request, v, debtor_id, (str(why), cleaned))
    return web.render(request, "debtors_timeline.html", context, v=v)

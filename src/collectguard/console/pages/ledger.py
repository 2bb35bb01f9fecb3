"""账本 The ledger: the head (sequence number, hash, algorithm), records per kind, the institution's records
(newest first, filtered by kind prefix and subject, bodies shown redacted), a verification run from the page in a
background thread and polled with HTMX, and an export of a range as JSON Lines (what GET /v1/ledger writes).

`ledger:read` (institution admin, compliance officer, auditor): verifying and exporting change nothing, so the
auditor may do both; an agency operator has no ledger page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from collectguard.auth.roles import Permission
from collectguard.console import web
from collectguard.console.reads import ledger as reads
from collectguard.errors import InvalidInput, NotFound
from collectguard.registry.repository import institution_zone

router = APIRouter()
BENCH_PAGES = ["/ledger", "/ledger/kinds"]
Reader = Annotated[web.Viewer, Depends(web.allowed(Permission.LEDGER_READ))]
Actor = Annotated[web.Viewer, Depends(web.acting(Permission.LEDGER_READ))]
PAGE_SIZE = 25
MAX_SEQ = 2**62


def _verifier(request: Request) -> reads.Verifier:
    return web.app_state(request, "ledger_verifier", reads.Verifier)


def _kind_counts(request: Request) -> reads.KindCounts:
    return web.app_state(request, "ledger_kind_counts", reads.KindCounts)


def _seq(value: str | None, name: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        n = int(value)
    except ValueError:
        raise InvalidInput(f"{name} 须为账本序号（正整数）", f"{name} must be a ledger sequence number",
                           field=name) from None
    if not 0 <= n <= MAX_SEQ:
        raise InvalidInput(f"{name} 超出范围", f"{name} is out of range", field=name)
    return n


def _text(request: Request, name: str, limit: int) -> str:
    value = request.query_params.get(name, "").strip()[:limit]
    return value if "\x00" not in value else ""


def _read(request: Request, v: web.Viewer, kind: str, subject: str, before: int | None,
          after: int | None) -> dict[str, Any]:
    with web.units_of(request).read() as session:
        return {"head": reads.head(session), "zone": institution_zone(session, v.institution).key,
                "records": reads.records(session, v.institution, kind=kind, subject=subject, before=before,
                                         after=after, size=PAGE_SIZE)}


@router.get("/ledger")
async def ledger(request: Request, v: Reader) -> Response:
    kind, subject = _text(request, "kind", 80), _text(request, "subject", 200)
    before = _seq(request.query_params.get("before"), "before")
    after = _seq(request.query_params.get("after"), "after") if before is None else None
    ctx = await run_in_threadpool(_read, request, v, kind, subject, before, after)
    job_id = request.query_params.get("job")
    verifier = _verifier(request)
    job = (verifier.get(job_id) if job_id else None) or verifier.latest()
    head = ctx["head"]
    ctx.update(kind=kind, subject=subject, before=before, after=after, job=job, sources=reads.SOURCES,
               mark=_seq(request.query_params.get("mark"), "mark"),
               export_from=max(1, head.seq - 9_999), export_to=head.seq, export_max=reads.EXPORT_MAX)
    return web.render(request, "ledger.html", ctx, v=v)


def _counts(request: Request, v: web.Viewer) -> dict[str, Any]:
    with web.units_of(request).read() as session:
        first, upto, kinds = _kind_counts(request).of(session, v.institution)
    return {"first": first, "upto": upto, "kinds": kinds, "total": sum(n for _, n in kinds)}


@router.get("/ledger/kinds")
async def kinds(request: Request, v: Reader) -> Response:
    """The institution's records per kind (a fragment the page loads after itself)."""
    ctx = await run_in_threadpool(_counts, request, v)
    return web.render(request, "ledger_kinds.html", ctx, v=v)


@router.post("/ledger/verify")
async def start_verify(request: Request, v: Actor) -> Response:
    """Start verifying the whole chain (or join the verification already running), then show its progress."""
    clock = request.app.state.clock
    job = await run_in_threadpool(_verifier(request).start, web.units_of(request), v.username,
                                  web.now_of(request), v.institution, clock)
    if request.headers.get("hx-request") == "true":
        return web.render(request, "ledger_verify.html", {"job": job}, v=v)
    return web.redirect(f"{web.PREFIX}/ledger?job={job.id}#verify", request)


@router.get("/ledger/verify/{job_id}")
async def verify_progress(request: Request, v: Reader, job_id: str) -> Response:
    """A verification's progress or result (the fragment polls itself every second while it runs)."""
    job = _verifier(request).get(job_id) or await run_in_threadpool(_recorded, request, job_id)
    if job is None:
        raise NotFound("verification", job_id[:32], field="job_id")
    return web.render(request, "ledger_verify.html", {"job": job}, v=v)


def _recorded(request: Request, job_id: str) -> reads.Job | None:
    """A verification this process does not hold: another worker's. Its result once recorded in the ledger;
    until then shown as running (the poll goes on)."""
    with web.units_of(request).read() as session:
        job = reads.recorded_job(session, job_id)
        if job is None and len(job_id) == 16 and all(c in "0123456789abcdef" for c in job_id):
            job = reads.Job(job_id, "—", web.now_of(request), reads.head(session).seq)
    return job


def _head(request: Request) -> reads.Head:
    with web.units_of(request).read() as session:
        return reads.head(session)


@router.get("/ledger/export")
async def export(request: Request, v: Reader) -> Response:
    """The institution's records from `from` to `to` (sequence numbers, both included; optionally of a kind prefix
    and a subject) as JSON Lines, as GET /v1/ledger writes them, to download."""
    first = _seq(request.query_params.get("from"), "from") or 1
    last = _seq(request.query_params.get("to"), "to")
    if last is None:
        last = (await run_in_threadpool(_head, request)).seq
    if last < first:
        raise InvalidInput("导出范围的结束序号须不小于起始序号", "the range's end comes before its start", field="to")
    if last - first + 1 > reads.EXPORT_MAX:
        raise InvalidInput(f"一次最多导出 {reads.EXPORT_MAX:,} 个序号", f"at most {reads.EXPORT_MAX:,} sequence "
                           "numbers per export", field="to")
    kind, subject = _text(request, "kind", 80), _text(request, "subject", 200)
    name = f"ledger-{v.institution}-{first}-{last}.jsonl"
    response = StreamingResponse(reads.export_lines(web.units_of(request), v.institution, first, last, kind=kind,
                                                    subject=subject),
                                 media_type="application/x-ndjson",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})
    web.secure_headers(response)
    return response

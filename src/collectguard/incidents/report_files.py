"""The written report of an incident (art. 24), ready to send: DOCX (python-docx) and PDF (reportlab).

Both carry the same content: the title, the institution, the agency, the incident id, its category, when it was
discovered and when it was reported (Beijing time and UTC), the deadline, the four parts as headed sections —
一、事件原因 (cause), 二、目前状况 (current state), 三、可能影响 (possible impact), 四、应对措施 (measures) — and a
signature block. The parts come from the report sent to the SRO (the latest one), else from the latest notice
that carried them; a part not written yet reads "（待填写 to be completed）", so a draft can be printed too.

The PDF's Chinese is set in reportlab's built-in CID font STSong-Light (Adobe-GB1): no font file to ship, every
PDF reader renders it. Both files are made the same way every time from the same record (fixed document dates,
reportlab's invariant mode), so the hash of a report sent is reproducible. No HTTP here: the endpoints and the CLI
call `docx_bytes` / `pdf_bytes`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from collectguard.incidents import repository as repo
from collectguard.incidents.deadlines import rule_of
from collectguard.incidents.models import Incident, IncidentNotification
from collectguard.incidents.schemas import REPORT_PARTS, NotifyTo
from collectguard.registry import models as m
from collectguard.rulebook.profile import load_profile

BEIJING = ZoneInfo("Asia/Shanghai")
TO_COMPLETE = "（待填写 to be completed）"
CATEGORY = {
    "investigation": ("催收业务被调查或处罚", "collection under investigation or penalised"),
    "violent_collection": ("暴力催收危及人身安全", "violent collection endangering personal safety"),
    "pi_leak": ("严重个人信息泄露", "serious personal-information leak"),
    "anti_collection": ("“反催收”黑灰产严重干扰", "serious interference by 'anti-collection' black/grey industry"),
    "other": ("其他重大风险", "other major risk"),
}
KIND = {"major_risk": ("重大风险事件", "major risk"), "pi_breach": ("个人信息安全事件", "personal-information incident")}


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, as text."""

    title_zh: str
    title_en: str
    rows: tuple[tuple[str, str], ...]  # (label, value) of the heading table
    parts: tuple[tuple[str, str, str], ...]  # (Chinese heading, English heading, text)
    sent: bool  # the report was sent to the SRO (else a draft)
    made_at: datetime  # the report's own date (when it was sent, else when the draft was made)


def when(at: datetime | None) -> str:
    if at is None:
        return "—"
    return (f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S} 北京时间 (UTC+8) / "
            f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")


def chosen(notes: list[IncidentNotification]) -> IncidentNotification | None:
    """The notice whose parts the report shows: the latest report to the SRO, else the latest notice with parts."""
    sro = [n for n in notes if n.to == NotifyTo.SRO]
    if sro:
        return sro[-1]
    written = [n for n in notes if any(getattr(n, k) for k, _, _ in REPORT_PARTS)]
    return written[-1] if written else None


def content(session: Session, row: Incident, as_of: datetime) -> ReportContent:
    """The report of `row` from its records; `as_of`: the draft's date when nothing was sent to the SRO yet."""
    notes = repo.notifications(session, [row.id])[row.id]
    note = chosen(notes)
    inst = session.get(m.Institution, row.institution_id)
    agency = session.get(m.Agency, row.agency_id) if row.agency_id else None
    profile = load_profile(inst.profile if inst is not None else "nifa-2024")
    rule = rule_of(row.kind, row.agency_id, profile)
    kind_zh, kind_en = KIND.get(row.kind, (row.kind, row.kind))
    category = CATEGORY.get(row.category or "", None)
    sent = note is not None and note.to == NotifyTo.SRO
    rows: list[tuple[str, str]] = [
        ("报告单位 Institution", f"{inst.name or inst.id}（{inst.id}）" if inst is not None else row.institution_id),
        ("合作机构 Agency", f"{agency.name or agency.id}（{agency.id}）" if agency is not None else "—（机构自身 the "
                                                                                        "institution itself）"),
        ("事件编号 Incident", row.id),
        ("事件类型 Kind", f"{kind_zh} {kind_en}"),
        ("事件类别 Category", f"{category[0]} {category[1]}" if category else "—"),
        ("发现时间 Discovered", when(row.discovered_at)),
        ("登记时间 Recorded", when(row.reported_at)),
    ]
    if rule is not None:
        rows.append((f"报告期限 Deadline ({rule.hours} h)", when(rule.due_at(row.discovered_at))))
    rows.append(("报告时间 Reported" if sent else "草稿时间 Draft of", when(note.at if sent and note else as_of)))
    if sent and note is not None and note.late:
        rows.append(("逾期 Late", f"{note.late_seconds / 3600:.1f} 小时 hours"))
    if row.summary:
        rows.append(("事件摘要 Summary", row.summary))
    parts = tuple((zh, en, (getattr(note, k) or "").strip() if note is not None else "") for k, zh, en in REPORT_PARTS)
    parts = tuple((zh, en, text or TO_COMPLETE) for zh, en, text in parts)
    if row.kind == "major_risk":
        title_zh, title_en = "重大风险事件书面报告", "Written report of a major risk event (art. 24)"
    else:
        title_zh, title_en = "个人信息安全事件报告", "Report of a personal-information incident (art. 21(二))"
    return ReportContent(title_zh, title_en, tuple(rows), parts, sent,
                         note.at if sent and note is not None else as_of)


SIGNATURE = ("报告单位（盖章）Institution (seal)：", "负责人（签字）Person in charge (signature)：",
             "联系人及电话 Contact and telephone：", "日期 Date：")


# -- DOCX -------------------------------------------------------------------------------------------------------
def docx_bytes(report: ReportContent) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimHei")
    props = doc.core_properties
    props.title, props.author = report.title_zh, "CollectGuard"
    props.created = props.modified = report.made_at.astimezone(UTC).replace(tzinfo=None)
    props.revision = 1
    title = doc.add_heading(report.title_zh, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(report.title_en + ("" if report.sent else " — 草稿 DRAFT"))
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in report.rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    for zh, en, text in report.parts:
        doc.add_heading(f"{zh} {en}", level=1)
        for line in text.splitlines() or [""]:
            doc.add_paragraph(line)
    doc.add_paragraph("")
    for line in SIGNATURE:
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue(), report.made_at)


def _fixed_zip(content: bytes, at: datetime) -> bytes:
    """The DOCX package again with every entry dated `at` (zipfile dates entries by the wall clock): the same
    record makes the same bytes."""
    import zipfile

    stamp = at.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)  # type: ignore[arg-type]
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


# -- PDF --------------------------------------------------------------------------------------------------------
def pdf_bytes(report: ReportContent) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=14)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=2)
    subtitle = ParagraphStyle("subtitle", parent=body, fontSize=10, alignment=TA_CENTER, spaceAfter=10,
                              textColor=colors.HexColor("#444444"))
    heading = ParagraphStyle("heading", parent=body, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story = [para(report.title_zh, title),
             para(report.title_en + ("" if report.sent else " — 草稿 DRAFT"), subtitle)]
    table = Table([[para(k, cell), para(v, cell)] for k, v in report.rows], colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f3f5")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    for zh, en, text in report.parts:
        story.append(para(f"{zh} {en}", heading))
        story.append(para(text, body))
    story.append(Spacer(1, 14 * mm))
    story.extend(para(line, body) for line in SIGNATURE)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=report.title_zh, author="CollectGuard", invariant=1,
                      leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm).build(story)
    return out.getvalue()


MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


def render(session: Session, row: Incident, as_of: datetime, fmt: str) -> bytes:
    """The report of `row` as `fmt` ("docx" or "pdf")."""
    report = content(session, row, as_of)
    return docx_bytes(report) if fmt == "docx" else pdf_bytes(report)


def filename(row: Incident, fmt: str) -> str:
    return f"incident-report-{row.id}.{fmt}"

"""What the QA page reads: the recorded findings (qa_findings) with the matched words kept beside them
(qa_calls, masked when recorded), their count per 1,000 connected calls (the daily figures), one inspected call
with its transcript, and the templates waiting for approval with the review checks' findings.

Every read takes the viewer's institution and, for an agency-bound viewer, its organisations: another
organisation's finding is not found, the same as an unknown one."""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from collectguard.auth.roles import Principal
from collectguard.console.reads.overview import CALL_CHANNELS  # calls a transcript is made of, counted alike
from collectguard.debts import repository as debts
from collectguard.errors import NotFound
from collectguard.gate import daily
from collectguard.gate.models import AttemptRow
from collectguard.qa.inspector import Inspector
from collectguard.qa.models import CATEGORIES, CATEGORY_RULE, CATEGORY_ZH, SEVERITY_ZH
from collectguard.qa.storage import QaCallRow, QaFindingRow
from collectguard.qa.templates import lint_template
from collectguard.registry import models as m
from collectguard.registry.repository import institution_zone
from collectguard.templates.models import Template, TemplateVersion

SEVERITIES = ("critical", "major", "minor")
SEVERITY_EN = {"critical": "critical", "major": "major", "minor": "minor"}
CATEGORY_EN = {c: c.replace("-", " ").capitalize() for c in CATEGORIES}
# What each category catches (shared/qa/FORMAT.md), for a finding's explanation.
EXPLAIN = {
    "impersonation": ("冒充公安、法院、检察院、监管部门、行业协会或律师等身份", "posing as police, court, procuratorate, "
                      "regulator, association, or a lawyer one is not"),
    "identity-hidden": ("拒绝或隐瞒来电身份", "refusing or hiding who is calling"),
    "identity-not-stated": ("开场（前几轮或前若干秒）未表明所属机构", "the opening names no institution or agency"),
    "identity-not-verified": ("对方确认是债务人本人之前就说出债务信息", "debt details stated before the other party "
                              "confirmed being the debtor"),
    "recording-notice-missing": ("交互式通话中从未告知正在录音", "an interactive call where the agent never says it "
                                 "is recorded"),
    "misleading": ("虚构黑名单、拘留、刑事追责、传票、冻结账户、影响子女等后果，或夸大欠款金额", "fake blacklist, arrest, "
                   "criminal charge, court summons, frozen accounts, consequences for family, inflated amounts"),
    "threat": ("恐吓、威胁人身、家人、住所或工作单位", "intimidation, threats to person, family, home or workplace"),
    "insult": ("辱骂、侮辱", "abuse and insults"),
    "third-party-disclosure": ("向联系人透露欠款金额、逾期时间等债务信息", "telling a contact the amount, overdue time "
                               "or other debt details"),
    "third-party-pressure": ("要求联系人代偿，或以通知通讯录、单位、同事相要挟", "demanding that a contact pay; "
                             "threatening to call the contact book, the employer, colleagues"),
    "public-shaming": ("在公共场所、群聊或朋友圈张贴、曝光", "posting notices in public places, group chats or moments"),
    "private-channel": ("要求还款至个人账户、私人微信/支付宝等非官方渠道", "repayment to personal accounts or private "
                        "chat/payment channels"),
    "extra-fee": ("以催收名义收取任何费用、押金或“服务费”", "any fee, deposit or service charge in the name of "
                  "collection"),
    "illegal-funding": ("诱导借新还旧、找其他平台或高利贷借款、信用卡套现还款", "pushing new borrowing, other lenders, "
                        "loan sharks or credit-card cash-out to repay"),
}
_SEVERITY_ORDER = case({"critical": 0, "major": 1, "minor": 2}, value=QaFindingRow.severity, else_=3)


def article(category: str | None) -> str:
    """The article a category is checked under (its rule file's `article:`)."""
    return Inspector.default().ruleset.articles.get(category or "", "")


@dataclass(frozen=True)
class Filters:
    """The list's filters, already checked: ids as given, dates parsed (`first` ≤ `last`)."""

    first: date
    last: date
    rule: str | None = None
    category: str | None = None
    severity: str | None = None
    agency: str | None = None
    collector: str | None = None


@dataclass(frozen=True)
class FindingRow:
    id: int
    attempt_id: str
    call_id: str
    call: int | None  # the qa_calls row, when the call was kept
    seq: int
    day: date
    collector_id: str
    org_id: str
    org_name: str
    category: str
    rule: str
    article: str
    severity: str
    evidence: str


def _where(institution: str, orgs: Collection[str] | None, f: Filters) -> list[ColumnElement[bool]]:
    # `seq > 0` written as a constant, not a bound parameter: so the planner (PostgreSQL's generic plans too) can
    # match the partial index ix_qa_findings_found (findings, not clean-call markers)
    where = [QaFindingRow.institution_id == institution, QaFindingRow.seq > literal_column("0"),
             QaFindingRow.day >= f.first, QaFindingRow.day <= f.last]
    if orgs is not None:
        where.append(QaFindingRow.org_id.in_(sorted(orgs)))
    if f.agency:
        where.append(QaFindingRow.org_id == f.agency)
    if f.collector:
        where.append(QaFindingRow.collector_id == f.collector)
    if f.rule:
        where.append(QaFindingRow.rule == f.rule)
    if f.category:
        where.append(QaFindingRow.category == f.category)
    if f.severity:
        where.append(QaFindingRow.severity == f.severity)
    return where


SORTS: dict[str, tuple[Any, ...]] = {
    "day": (QaFindingRow.day, QaFindingRow.id),
    "severity": (_SEVERITY_ORDER, QaFindingRow.day, QaFindingRow.id),
    "collector": (QaFindingRow.collector_id, QaFindingRow.id),
    "rule": (QaFindingRow.rule, QaFindingRow.category, QaFindingRow.id),
}


def org_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = [*session.execute(select(m.Agency.id, m.Agency.name).where(m.Agency.id.in_(ids))),
            *session.execute(select(m.Institution.id, m.Institution.name).where(m.Institution.id.in_(ids)))]
    return {ident: name or ident for ident, name in rows}


def findings(session: Session, institution: str, orgs: Collection[str] | None, f: Filters, *, sort: str = "day",
             desc: bool = True, limit: int = 25, offset: int = 0) -> list[FindingRow]:
    """One page of findings (newest first by default); `by_rule` counts them."""
    keys = [k.desc() if desc else k.asc() for k in SORTS.get(sort, SORTS["day"])]
    # the page's ids first (from the findings' index), then the kept calls of those rows only
    ids = list(session.execute(select(QaFindingRow.id).where(*_where(institution, orgs, f)).order_by(*keys)
                               .limit(limit).offset(offset)).scalars())
    if not ids:
        return []
    rows = session.execute(
        select(QaFindingRow, QaCallRow.id, QaCallRow.findings)
        .outerjoin(QaCallRow, and_(QaCallRow.attempt_id == QaFindingRow.attempt_id,
                                   QaCallRow.call_id == QaFindingRow.call_id))
        .where(QaFindingRow.id.in_(ids)).order_by(*keys)).all()
    names = org_names(session, {r[0].org_id for r in rows})
    out = []
    for row, call, kept in rows:
        evidence = ""
        if kept and 0 < row.seq <= len(kept):
            evidence = str(kept[row.seq - 1].get("evidence") or "")
        out.append(FindingRow(row.id, row.attempt_id, row.call_id, call, row.seq, row.day, row.collector_id,
                              row.org_id, names.get(row.org_id, row.org_id), row.category or "", row.rule or "",
                              article(row.category), row.severity or "", evidence))
    return out


@dataclass(frozen=True)
class RuleSeverity:
    rule: str
    category: str
    severity: str
    n: int


def by_rule(session: Session, institution: str, orgs: Collection[str] | None, f: Filters) -> list[RuleSeverity]:
    """Findings per category (and its rule) and severity under the filters, most first: one grouped query gives the
    chart, the table's total (`matching`) and the rate's numerator."""
    n = func.count()
    rows = session.execute(
        select(QaFindingRow.rule, QaFindingRow.category, QaFindingRow.severity, n)
        .where(*_where(institution, orgs, f))
        .group_by(QaFindingRow.rule, QaFindingRow.category, QaFindingRow.severity)).all()
    return sorted((RuleSeverity(r or "", c or "", s or "", int(k)) for r, c, s, k in rows),
                  key=lambda x: (-x.n, x.category, x.severity))


def matching(rows: Sequence[RuleSeverity], f: Filters) -> list[RuleSeverity]:
    """The groups the rule, category and severity filters keep."""
    return [r for r in rows if (not f.rule or r.rule == f.rule) and (not f.category or r.category == f.category)
            and (not f.severity or r.severity == f.severity)]


def calls(session: Session, institution: str, first: date, last: date, orgs: Collection[str] | None,
          collector: str | None = None) -> int:
    """Connected calls in the period (voice and video, from the daily figures)."""
    if orgs is not None and not orgs:
        return 0
    return sum(t.connected for t in daily.by_channel(session, institution, first, last, orgs=orgs,
                                                     collector=collector) if t.key in CALL_CHANNELS)


def today(session: Session, institution: str, now: datetime) -> date:
    return daily.today(session, institution, now)


def choices(session: Session, institution: str, orgs: Collection[str] | None, first: date,
            last: date) -> list[tuple[str, str]]:
    """The organisations a viewer may filter by: its own (agency-bound), else the institution and the organisations
    that made attempts in the period (the daily figures), with names."""
    ids = set(orgs) if orgs is not None else {institution, *(t.key for t in daily.by_org(session, institution, first,
                                                                                          last))}
    names = org_names(session, ids)
    return sorted(((i, names.get(i, i)) for i in ids), key=lambda x: (x[0] != institution, x[0]))


# -- one call ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shown:
    """One finding of the call as the page shows it."""

    seq: int
    id: int | None
    category: str
    rule: str
    article: str
    severity: str
    turn: int | None
    start: float | None
    end: float | None
    evidence: str


@dataclass(frozen=True)
class Turn:
    index: int
    speaker: str
    start: float | None
    end: float | None
    html: str  # escaped text with the findings' matched words in <mark>
    marks: list[int]  # seqs of the findings marked in this turn


@dataclass
class CallView:
    call_id: str
    attempt_id: str
    audience: str | None
    collector_id: str
    org_id: str
    org_name: str
    turns: list[Turn]
    findings: list[Shown]
    attempt: AttemptRow
    focus: int | None = None  # the finding's seq the page was opened for
    unplaced: list[int] = field(default_factory=list)  # findings whose words were not found in a turn
    zone: str = "Asia/Shanghai"  # the institution's
    debtor_visible: bool = False  # the viewer may open the debtor's page


def highlight(text: str, spans: Sequence[tuple[int, int, int]]) -> str:
    """`text` escaped, with each (start, end, seq) span in <mark> (overlaps merged into the first); every character
    of `text` goes through html.escape."""
    out, pos = [], 0
    for start, end, seq in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark id="m{seq}" data-finding="{seq}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _place(turns: list[dict[str, Any]], shown: list[Shown]) -> tuple[list[Turn], list[int]]:
    spans: dict[int, list[tuple[int, int, int]]] = {}
    unplaced = []
    for f in shown:
        text = str(turns[f.turn].get("text") or "") if f.turn is not None and 0 <= f.turn < len(turns) else ""
        at = text.find(f.evidence) if f.evidence else -1
        if at < 0:
            unplaced.append(f.seq)
            continue
        spans.setdefault(f.turn or 0, []).append((at, at + len(f.evidence), f.seq))
    out = []
    for i, t in enumerate(turns):
        text = str(t.get("text") or "")
        out.append(Turn(i, str(t.get("speaker") or ""), t.get("start"), t.get("end"),
                        highlight(text, spans.get(i, [])), [s for _, _, s in spans.get(i, [])]))
    return out, unplaced


def finding_call(session: Session, p: Principal, orgs: Collection[str] | None, finding_id: int,
                 now: datetime) -> CallView:
    """The call a finding belongs to, with every finding of the call, opened at that one. Another institution's or
    (for an agency-bound viewer) another organisation's finding is not found."""
    row = session.get(QaFindingRow, finding_id)
    if row is None or row.institution_id != p.institution_id or row.seq <= 0 or (
            orgs is not None and row.org_id not in orgs):
        raise NotFound("qa finding", str(finding_id))
    view = _call(session, row.attempt_id, row.call_id, row.collector_id, row.org_id)
    view.focus = row.seq
    view.zone = institution_zone(session, p.institution_id).key
    view.debtor_visible = _debtor_visible(session, p, view.attempt, now)
    return view


def _debtor_visible(session: Session, p: Principal, attempt: AttemptRow, now: datetime) -> bool:
    """Whether the viewer may open the debtor's page: the institution's people, the debtor as the API scopes it; an
    agency, when this call's debt is placed with it now (one debt's check, not every debt placed with it)."""
    try:
        if p.agency_id is not None:
            debts.debt(session, p, attempt.debt_id, now)
        else:
            debts.debtor_visible(session, p, attempt.debtor_id, now)
    except NotFound:
        return False
    return True


def _call(session: Session, attempt_id: str, call_id: str, collector_id: str, org_id: str) -> CallView:
    kept = session.execute(select(QaCallRow).where(QaCallRow.attempt_id == attempt_id,
                                                   QaCallRow.call_id == call_id)).scalar()
    ids = dict(session.execute(select(QaFindingRow.seq, QaFindingRow.id).where(
        QaFindingRow.attempt_id == attempt_id, QaFindingRow.call_id == call_id)).all())
    if kept is not None:
        recorded = kept.findings
    else:  # recorded before calls were kept: the categories without words
        recorded = [{"category": r.category, "rule": r.rule, "severity": r.severity, "evidence": ""}
                    for r in session.execute(select(QaFindingRow).where(
                        QaFindingRow.attempt_id == attempt_id, QaFindingRow.call_id == call_id, QaFindingRow.seq > 0)
                        .order_by(QaFindingRow.seq)).scalars()]
    shown = [Shown(i + 1, ids.get(i + 1), str(f.get("category") or ""), str(f.get("rule") or ""),
                   article(f.get("category")), str(f.get("severity") or ""), f.get("turn"), f.get("start"),
                   f.get("end"), str(f.get("evidence") or "")) for i, f in enumerate(recorded)]
    turns, unplaced = _place(kept.turns if kept is not None else [], shown)
    attempt = session.get(AttemptRow, attempt_id)
    assert attempt is not None  # a finding's attempt (foreign key)
    names = org_names(session, {org_id})
    return CallView(call_id, attempt_id, kept.audience if kept is not None else None, collector_id, org_id,
                    names.get(org_id, org_id), turns, shown, attempt, unplaced=unplaced)


# -- templates awaiting approval ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    id: str
    audience: str
    channel: str
    version: int
    text: str
    findings: list[dict[str, Any]]


def pending_templates(session: Session, institution: str, limit: int = 50) -> list[Pending]:
    """The institution's templates whose current version waits for approval, each with the findings of the review
    checks approval runs (qa.templates.lint_template)."""
    rows = session.execute(
        select(Template, TemplateVersion)
        .join(TemplateVersion, and_(TemplateVersion.template_id == Template.id,
                                    TemplateVersion.version == Template.current_version))
        .where(Template.institution_id == institution, TemplateVersion.status == "pending")
        .order_by(Template.id).limit(limit)).all()
    return [Pending(t.id, t.audience, t.channel, v.version, v.text,
                    [f.to_output() for f in lint_template(v.text, t.audience, t.channel)]) for t, v in rows]


def category_name(category: str, lang: str) -> str:
    return CATEGORY_EN.get(category, category) if lang == "en" else CATEGORY_ZH.get(category, category)


def severity_name(severity: str, lang: str) -> str:
    return SEVERITY_EN.get(severity, severity) if lang == "en" else SEVERITY_ZH.get(severity, severity)


RULES = sorted(set(CATEGORY_RULE.values()))

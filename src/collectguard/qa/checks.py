"""Call-level checks (通话级检查): conditions over the whole call, not one sentence.

- identity-not-stated: the opening (first agent turns / first N seconds) names no institution;
- recording-notice-missing: an interactive call where the agent never says it is recorded;
- identity-not-verified: debt details before the other party confirmed being the debtor;
- third-party-disclosure: debt details told to a contact (unless the contact offered to repay);
- misleading (inflated amount): a stated owed amount materially above `meta`'s ledger figures.

Words and thresholds come from each category's `check:` section (see `checkspec.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from collectguard.qa.checkspec import (
    AmountParams,
    CheckParams,
    DebtDetailParams,
    DisclosureParams,
    IdentityStatedParams,
    IdentityVerifiedParams,
    RecordingParams,
)
from collectguard.qa.matcher import Span, TurnContext, negated
from collectguard.qa.models import CATEGORY_RULE, Finding, Severity
from collectguard.qa.schema import Negation
from collectguard.qa.text import CLAUSE_BREAKS, SENTENCE_BREAKS, amounts, has_break, normalize

_UNIT = re.compile("[元块万千百]|rmb|人民币")


@dataclass(slots=True)
class CallContext:
    """What a check sees of a call."""

    turns: list[TurnContext]
    audience: str
    meta: dict[str, Any]
    interactive: bool
    template: bool = False  #: a single agent-only text (SMS / voice template), see `inspect_text`
    _amounts: dict[int, list[tuple[int, int, float]]] = field(default_factory=dict)

    @property
    def agent_turns(self) -> list[TurnContext]:
        return [t for t in self.turns if t.speaker == "agent"]

    def amounts(self, turn: TurnContext) -> list[tuple[int, int, float]]:
        hit = self._amounts.get(turn.index)
        if hit is None:
            # an amount needs a currency unit: most turns have none and skip the parser
            hit = amounts(turn.norm) if _UNIT.search(turn.norm) else []
            self._amounts[turn.index] = hit
        return hit


def finding(category: str, severity: Severity, turn: TurnContext | None, span: Span | None,
            check_id: str, evidence: str | None = None) -> Finding:
    if turn is not None and span is not None and evidence is None:
        evidence = turn.text[span[0]:span[1]]
    return Finding.model_construct(
        category=category,  # type: ignore[arg-type]
        rule=CATEGORY_RULE[category],
        turn=turn.index if turn else None,
        start=turn.start if turn else None,
        end=turn.end if turn else None,
        evidence=evidence or "",
        severity=severity,
        rule_id=check_id,
    )


_NegTerms = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_NEGATION_TERMS: dict[int, tuple[Negation, _NegTerms]] = {}


def _negation_terms(neg: Negation) -> _NegTerms:
    """Normalised negators, debunkers and pseudo-negators of a check (cached per Negation object)."""
    hit = _NEGATION_TERMS.get(id(neg))
    if hit is not None and hit[0] is neg:
        return hit[1]
    negators, debunkers, ignore = (tuple(normalize(t) for t in group) for group in (neg.negators, neg.debunkers, neg.ignore))
    terms: _NegTerms = (negators, debunkers, ignore)
    _NEGATION_TERMS[id(neg)] = (neg, terms)
    return terms


def _unnegated(spans: list[Span], params: CheckParams, turn: TurnContext) -> list[Span]:
    neg = getattr(params, "negation", None)
    if neg is None or not spans:
        return spans
    negators, debunkers, ignore = _negation_terms(neg)
    return [s for s in spans if not negated(s, neg, negators, debunkers, turn, ignore)]


# --- identity-not-stated -------------------------------------------------------------------------

def _opening(ctx: CallContext, params: IdentityStatedParams) -> list[TurnContext]:
    out = []
    for turn in ctx.agent_turns:
        early = turn.start is None or turn.start < params.first_seconds
        if (turn.agent_ordinal or 0) < params.first_agent_turns and early:
            out.append(turn)
    return out


_CORE_CACHE: dict[tuple[int, str], tuple[IdentityStatedParams, list[str]]] = {}


def _name_cores(name: str, params: IdentityStatedParams) -> list[str]:
    """A ledger name and its distinctive core: 江源农村商业银行 → 江源农村商业银行, 江源 (memoised)."""
    key = (id(params), name)
    hit = _CORE_CACHE.get(key)
    if hit is not None and hit[0] is params:
        return hit[1]
    cores = _compute_name_cores(name, params)
    if len(_CORE_CACHE) > 4096:
        _CORE_CACHE.clear()
    _CORE_CACHE[key] = (params, cores)
    return cores


def _compute_name_cores(name: str, params: IdentityStatedParams) -> list[str]:
    norm = normalize(name.strip())
    cores = [norm] if len(norm) >= 2 else []
    cut = len(norm)
    for suffix in sorted(params.org_suffixes + params.name_generic, key=len, reverse=True):
        idx = norm.find(suffix)
        if 2 <= idx < cut:
            cut = idx
    if 2 <= cut < len(norm):
        cores.append(norm[:cut])
    return cores


def _clause_start(norm: str, pos: int, greetings: list[tuple[int, int]]) -> int:
    """Start of the clause holding `pos`: after the last clause break or greeting before it."""
    start = 0
    for i in range(pos - 1, -1, -1):
        if norm[i] in CLAUSE_BREAKS:
            start = i + 1
            break
    for _gs, ge in greetings:
        if start <= ge <= pos:
            start = max(start, ge)
    while start < pos and norm[start] in " 、“”\"'":
        start += 1
    return start


def _org_spans(turn: TurnContext, params: IdentityStatedParams, meta_cores: list[str]) -> list[tuple[Span, bool]]:
    """Organisation mentions: (span, is_bare_suffix). A suffix needs a name before it to count."""
    spans: list[tuple[Span, bool]] = [(s, False) for s in turn.spans(params.org_names)]
    for core in meta_cores:
        pos = turn.norm.find(core)
        while pos >= 0:
            spans.append(((pos, pos + len(core)), False))
            pos = turn.norm.find(core, pos + 1)
    blockers = turn.spans(params.suffix_blockers)
    for s, e in turn.spans(params.org_suffixes):
        if any(bs == e for bs, _be in blockers):
            continue  # 资产管理部 / 贷后中心: a department, not an institution
        spans.append(((s, e), True))
    return spans


def _names_organisation(turn: TurnContext, params: IdentityStatedParams, meta_cores: list[str]) -> bool:
    """Whether the turn introduces an organisation: "我是/这里是 X银行…", "X消费金融提醒您", "X公司的专员"."""
    if re.search(params.template_field_regex, turn.norm):
        return True
    orgs = _org_spans(turn, params, meta_cores)
    if not orgs:
        return False
    intros = turn.spans(params.self_intro)
    greets = turn.spans(params.greetings)
    stop = set(params.not_name_chars)
    for (os_, _oe), bare in orgs:
        need = params.min_name_chars if bare else 0
        # (a) a self-introduction cue shortly before: 我是 / 这里是 / 受…委托 + name + suffix
        for _is, ie in intros:
            if ie <= os_ - need and os_ - ie <= params.intro_within and not has_break(turn.norm, ie, os_):
                return True
        # (b) the clause opens with the organisation's name: "X银行信用卡中心，…" / "X小贷提醒您"
        cs = _clause_start(turn.norm, os_, greets)
        name = turn.norm[cs:os_]
        if len(name) >= need and not (set(name) & stop):
            return True
    return False


def check_identity_stated(ctx: CallContext, params: IdentityStatedParams, severity: Severity) -> list[Finding]:
    opening = _opening(ctx, params)
    if not opening:
        return []
    meta_cores = [core for k in params.meta_keys if ctx.meta.get(k) for core in _name_cores(str(ctx.meta[k]), params)]
    if any(_names_organisation(turn, params, meta_cores) for turn in opening):
        return []
    first = opening[0]
    return [finding("identity-not-stated", severity, first, (0, len(first.text)), "identity-not-stated.opening")]


# --- recording-notice-missing --------------------------------------------------------------------

def check_recording_notice(ctx: CallContext, params: RecordingParams, severity: Severity) -> list[Finding]:
    if not ctx.interactive:
        return []
    for turn in ctx.agent_turns:
        if _unnegated(turn.spans(params.notice), params, turn):
            return []
    if not ctx.agent_turns:
        return []
    first = ctx.agent_turns[0]  # the opening, where the notice was expected
    return [finding("recording-notice-missing", severity, first, (0, len(first.text)),
                    "recording-notice-missing.never-said")]


# --- debt details (shared by identity-not-verified and third-party-disclosure) -------------------

def debt_details(ctx: CallContext, turn: TurnContext, params: DebtDetailParams) -> list[Span]:
    """Spans of `turn` that state debt details: debt terms, amounts, template debt fields."""
    spans = _unnegated(turn.spans(params.debt_terms), params, turn)
    if params.amounts:
        context = turn.spans(params.amount_context) if params.amount_context else None
        for start, end, _value in ctx.amounts(turn):
            if context is not None and not any(
                abs(cs - end) <= params.amount_context_within or abs(start - ce) <= params.amount_context_within
                for cs, ce in context
            ):
                continue
            if not _unnegated([(start, end)], params, turn):
                continue
            spans.append((start, end))
    norm = turn.norm
    if "{" in norm:
        spans.extend(m.span() for m in re.finditer(params.template_field_regex, norm))
    if params.detail_regex and _detail_gate(params).search(norm) is not None:
        for pattern in params.detail_regex:
            spans.extend(_unnegated([m.span() for m in re.finditer(pattern, norm)], params, turn))
    if not spans:
        return spans
    names = turn.spans(params.not_details)
    for key in ("institution", "agency"):
        if ctx.meta.get(key):
            name = normalize(str(ctx.meta[key]))
            pos = turn.norm.find(name)
            while pos >= 0:
                names.append((pos, pos + len(name)))
                pos = turn.norm.find(name, pos + 1)
    return sorted(s for s in spans if not any(ns <= s[0] and s[1] <= ne for ns, ne in names))


_GATES: dict[int, tuple[DebtDetailParams, re.Pattern[str]]] = {}


def _detail_gate(params: DebtDetailParams) -> re.Pattern[str]:
    """All `detail_regex` patterns as one alternation (a turn it does not match needs no pattern run)."""
    hit = _GATES.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    gate = re.compile("|".join(f"(?:{p})" for p in params.detail_regex))
    _GATES[id(params)] = (params, gate)
    return gate


# --- identity-not-verified -----------------------------------------------------------------------

def _confirms(turn: TurnContext, params: IdentityVerifiedParams) -> bool | None:
    """True: confirms being the debtor; False: denies; None: neither (a question, noise, a stranger)."""
    if turn.has_any(params.deny):
        return False
    if turn.has_any(params.strong_confirm):
        return True
    if len(turn.text) > params.max_confirm_chars:
        return None
    answers = [(s, e) for s, e in turn.spans(params.confirm) if e >= len(turn.norm) or turn.norm[e] not in "?？"]
    if any(s == 0 for s, _e in answers):
        return True  # "是，哪位？": the answer comes first
    if answers and not turn.has_any(params.unsure):
        return True
    return None


def check_identity_verified(ctx: CallContext, params: IdentityVerifiedParams, severity: Severity) -> list[Finding]:
    if ctx.audience != "debtor" or ctx.template or not ctx.interactive:
        return []
    for turn in ctx.turns:
        if turn.speaker != "agent":
            if turn.speaker in params.confirming_speakers and _confirms(turn, params):
                return []
            continue
        spans = debt_details(ctx, turn, params)
        if spans:
            return [finding("identity-not-verified", severity, turn, spans[0], "identity-not-verified.before-confirm")]
    return []


# --- third-party-disclosure ----------------------------------------------------------------------

def check_disclosure(ctx: CallContext, params: DisclosureParams, severity: Severity) -> list[Finding]:
    if ctx.audience != "contact":
        return []
    out: list[Finding] = []
    for turn in ctx.turns:
        if turn.speaker != "agent":
            if turn.has_any(params.offer_to_repay):
                break  # art. 8(三): a contact who offers to repay may be told what is needed
            continue
        spans = debt_details(ctx, turn, params)
        if spans:
            out.append(finding("third-party-disclosure", severity, turn, spans[0], "third-party-disclosure.debt-detail"))
    return out


# --- misleading: inflated amount -----------------------------------------------------------------

def _ledger_max(meta: dict[str, Any], keys: list[str]) -> float | None:
    values: list[float] = []
    for key in keys:
        value = meta.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):  # noqa: UP038 - a tuple is faster than a union here
            values.append(float(value))
        elif isinstance(value, str):
            try:
                values.append(float(value.replace(",", "")))
            except ValueError:
                continue
    return max(values) if values else None


def check_amount(ctx: CallContext, params: AmountParams, severity: Severity) -> list[Finding]:
    ledger = _ledger_max(ctx.meta, params.meta_keys)
    if ledger is None:
        return []
    limit = max(ledger * (1 + params.tolerance_ratio), ledger + params.tolerance_abs)
    for turn in ctx.agent_turns:
        stated = [a for a in ctx.amounts(turn) if a[2] > limit]
        if not stated:
            continue
        context = turn.spans(params.owed_context)
        for start, end, _value in stated:
            for cs, ce in context:
                close = (ce <= start and start - ce <= params.context_within) or (
                    cs >= end and cs - end <= params.context_within
                )
                lo, hi = (ce, start) if ce <= start else (end, cs)
                if close and not has_break(turn.norm, lo, hi, SENTENCE_BREAKS):
                    return [finding("misleading", severity, turn, (start, end), "misleading.inflated-amount")]
    return []


Check = Callable[[CallContext, Any, Severity], list[Finding]]

#: category → its call-level check
CHECKS: dict[str, Check] = {
    "identity-not-stated": check_identity_stated,
    "recording-notice-missing": check_recording_notice,
    "identity-not-verified": check_identity_verified,
    "third-party-disclosure": check_disclosure,
    "misleading": check_amount,
}

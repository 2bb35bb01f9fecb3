"""The inspector (质检引擎): pattern rules per turn plus call-level checks, over one call or one text.

    from collectguard.qa.inspector import Inspector, inspect_text
    findings = Inspector.default().inspect(call)           # call: collectguard.qa.models.Call
    findings = inspect_text("您在{institution}的借款已逾期{overdue_days}天", audience="contact")
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from collectguard.qa.checks import CHECKS, CallContext
from collectguard.qa.matcher import CompiledRule, KeywordIndex, Span, TurnContext, build_turns, rule_hits
from collectguard.qa.models import CATEGORY_RULE, Call, Finding
from collectguard.qa.rules import RuleSet, load_rules


class Inspector:
    """Inspects transcripts against a `RuleSet`; build once, reuse for many calls (thread-safe reads)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.rules: list[CompiledRule] = [CompiledRule.compile(rule) for rule in ruleset.rules]
        terms: set[str] = set()
        for rule in ruleset.rules:
            terms |= rule.keywords()
        for params in ruleset.checks.values():
            terms |= params.terms()
        #: one Aho-Corasick automaton over every keyword of every rule and check
        self.index = KeywordIndex(terms)
        # candidate rules per (speaker, audience): by trigger keyword, plus those evaluated on every turn
        by_term: dict[tuple[str, str], dict[str, list[int]]] = {}
        always: dict[tuple[str, str], list[int]] = {}
        for i, compiled in enumerate(self.rules):
            for speaker in compiled.rule.speaker:
                for audience in compiled.rule.audience:
                    key: tuple[str, str] = (speaker, audience)
                    if compiled.always_candidate:
                        always.setdefault(key, []).append(i)
                    for term in compiled.trigger_terms:
                        by_term.setdefault(key, {}).setdefault(term, []).append(i)
        self._by_term: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {
            key: {term: tuple(rules) for term, rules in terms.items()} for key, terms in by_term.items()
        }
        self._always: dict[tuple[str, str], tuple[int, ...]] = {k: tuple(v) for k, v in always.items()}
        self._trigger_keys: dict[tuple[str, str], frozenset[str]] = {
            k: frozenset(found) for k, found in self._by_term.items()
        }
        #: single-character trigger terms per (speaker, audience) (not in the automaton): one character
        #: class each, so a turn is searched once in C
        self._single_triggers: dict[tuple[str, str], re.Pattern[str] | None] = {}
        for k, found in self._by_term.items():
            chars = sorted(t for t in found if len(t) == 1)
            self._single_triggers[k] = (
                re.compile("[" + "".join(re.escape(c) for c in chars) + "]") if chars else None
            )
        #: call-level checks with their severities, in file order
        self._checks = [(CHECKS[c], params, self.ruleset.severities[c]) for c, params in self.ruleset.checks.items()]

    @classmethod
    def default(cls) -> Inspector:
        """The inspector over the packaged rules (built once per process)."""
        return _default_inspector()

    @classmethod
    def from_directory(cls, directory: Path) -> Inspector:
        """An inspector over the `*.yaml` rule files of `directory`."""
        return cls(load_rules(directory))

    def inspect(self, call: Call) -> list[Finding]:
        """Every finding of one call, ordered by turn."""
        turns = build_turns([(t.speaker, t.text, t.start, t.end) for t in call.turns], self.index)
        ctx = CallContext(turns=turns, audience=call.audience, meta=call.meta, interactive=call.interactive)
        return self._inspect(ctx)

    def inspect_text(self, text: str, audience: str, meta: dict[str, Any] | None = None) -> list[Finding]:
        """Inspect one agent-only text (an SMS or voice template before approval).

        Template fields such as `{overdue_amount}` count as debt details (disclosure to a contact);
        `{institution}` / `{agency}` count as naming the institution.
        """
        if audience not in ("debtor", "contact"):
            raise ValueError(f"audience must be 'debtor' or 'contact', got {audience!r}")
        turns = build_turns([("agent", text, None, None)], self.index)
        ctx = CallContext(turns=turns, audience=audience, meta=meta or {}, interactive=False, template=True)
        return self._inspect(ctx)

    def _candidates(self, turn: TurnContext, audience: str) -> list[int]:
        key = (turn.speaker, audience)
        by_term = self._by_term.get(key)
        if by_term is None and key not in self._always:
            return []  # no rule applies to this speaker (the debtor's or contact's words)
        found: set[int] = set(self._always.get(key, ()))
        if by_term:
            for term in self._trigger_keys[key].intersection(turn.occ):
                found.update(by_term[term])
            singles = self._single_triggers[key]
            if singles is not None:
                for char in set(singles.findall(turn.norm)):
                    found.update(by_term[char])
        return sorted(found)

    def _inspect(self, ctx: CallContext) -> list[Finding]:
        keyed: list[tuple[int, int, Span, Finding]] = []
        rules = self.rules
        for turn in ctx.turns:
            for i in self._candidates(turn, ctx.audience):
                compiled = rules[i]
                for span in rule_hits(compiled, turn, ctx.audience):
                    rule = compiled.rule
                    keyed.append((turn.index, span[0], span, Finding.model_construct(
                        category=rule.category,
                        rule=CATEGORY_RULE[rule.category],
                        turn=turn.index,
                        start=turn.start,
                        end=turn.end,
                        evidence=turn.text[span[0]:span[1]],
                        severity=rule.severity,
                        rule_id=rule.id,
                    )))
        if keyed:
            keyed = self._suppress(keyed)
        for check, params, severity in self._checks:
            for f in check(ctx, params, severity):
                start = ctx.turns[f.turn].text.find(f.evidence) if f.turn is not None and f.evidence else 0
                keyed.append((f.turn if f.turn is not None else -1, max(start, 0),
                              (max(start, 0), max(start, 0) + len(f.evidence)), f))
        return _dedupe(keyed)

    def _suppress(self, keyed: list[tuple[int, int, Span, Finding]]) -> list[tuple[int, int, Span, Finding]]:
        """Drop pattern findings overridden by a more specific category in the same turn."""
        if not self.ruleset.suppresses:
            return keyed
        by_turn: dict[int, set[str]] = {}
        for turn, _s, _span, f in keyed:
            by_turn.setdefault(turn, set()).add(f.category)
        dropped: dict[int, set[str]] = {}
        for turn, categories in by_turn.items():
            for category in categories:
                dropped.setdefault(turn, set()).update(self.ruleset.suppresses.get(category, ()))
        return [k for k in keyed if k[3].category not in dropped.get(k[0], set())]


def _dedupe(keyed: list[tuple[int, int, Span, Finding]]) -> list[Finding]:
    """One finding per category and overlapping span of a turn (the earliest, longest first)."""
    keyed.sort(key=lambda k: (k[0], k[1], -(k[2][1] - k[2][0])))
    kept: list[tuple[int, Span, Finding]] = []
    for turn, _start, span, f in keyed:
        if any(
            t == turn and k.category == f.category and s[0] < span[1] and span[0] < s[1]
            for t, s, k in kept
        ):
            continue
        kept.append((turn, span, f))
    return [f for _t, _s, f in kept]


@cache
def _default_inspector() -> Inspector:
    return Inspector(load_rules())


def inspect_text(text: str, audience: str, meta: dict[str, Any] | None = None) -> list[Finding]:
    """Inspect one agent-only text with the packaged rules (used to lint SMS / voice templates)."""
    return Inspector.default().inspect_text(text, audience, meta)

"""Keyword matching with one Aho-Corasick automaton, and the rule operators evaluated on a turn.

The automaton is built once over every term of every rule and call-level check (`pyahocorasick`);
one pass over a turn yields all occurrences, which the operators (any / all / none / near /
negation / position / speech rate / silence) then combine. Regular expressions run only for rules
whose cheap conditions (speaker, audience, position, `all`, `none`) already hold.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick  # type: ignore[import-not-found]

from collectguard.qa.rules import Rule
from collectguard.qa.schema import Near, Negation, Position, Silence, SpeechRate
from collectguard.qa.text import CLAUSE_BREAKS, SENTENCE_BREAKS, has_break, normalize, spoken_length

Span = tuple[int, int]
Occurrences = dict[str, list[Span]]

class TermSet(tuple[str, ...]):
    """A term tuple split for matching: multi-character terms (found by the automaton) and single
    characters (found with `str.find`, which is cheaper than feeding very frequent characters
    through the automaton)."""

    multi: frozenset[str]
    single: tuple[str, ...]
    single_re: re.Pattern[str] | None  #: a character class of `single` (one C-level search)

    def __new__(cls, terms: Iterable[str]) -> TermSet:
        self = super().__new__(cls, dict.fromkeys(terms))
        self.multi = frozenset(t for t in self if len(t) > 1)
        self.single = tuple(t for t in self if len(t) == 1)
        self.single_re = re.compile("[" + "".join(re.escape(c) for c in self.single) + "]") if self.single else None
        return self


_INTERNED: dict[tuple[str, ...], TermSet] = {}


def intern_terms(terms: Iterable[str]) -> TermSet:
    """One shared `TermSet` per distinct term list, so per-turn results can be cached by identity
    (many rules share the same negators, debunkers and lexicons)."""
    key = tuple(dict.fromkeys(terms))
    hit = _INTERNED.get(key)
    if hit is None:
        hit = _INTERNED[key] = TermSet(key)
    return hit


_TERMSETS: dict[int, tuple[object, TermSet]] = {}


def termset(terms: Iterable[str]) -> TermSet:
    """`terms` as a `TermSet`, cached per list object (rule and check term lists live for the run)."""
    if type(terms) is TermSet:
        return terms
    key = id(terms)
    hit = _TERMSETS.get(key)
    if hit is not None and hit[0] is terms:
        return hit[1]
    result = intern_terms(terms)
    _TERMSETS[key] = (terms, result)
    return result


def _char_spans(text: str, char: str) -> list[Span]:
    out: list[Span] = []
    pos = text.find(char)
    while pos >= 0:
        out.append((pos, pos + 1))
        pos = text.find(char, pos + 1)
    return out


class KeywordIndex:
    """An Aho-Corasick automaton over a fixed set of terms (built once)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        # single characters are looked up with str.find on demand (see `TermSet`)
        self.terms: frozenset[str] = frozenset(n for n in (normalize(t) for t in terms if t) if len(n) > 1)
        for term in self.terms:
            self._automaton.add_word(term, (len(term), term))
        if self.terms:
            self._automaton.make_automaton()

    def scan(self, normalized_text: str) -> Occurrences:
        """All occurrences (overlapping included) of every term: term → [(start, end)]."""
        if not self.terms:
            return {}
        found: defaultdict[str, list[Span]] = defaultdict(list)
        for end_index, (length, term) in self._automaton.iter(normalized_text):
            found[term].append((end_index + 1 - length, end_index + 1))
        return found


@dataclass(slots=True, eq=False)
class TurnContext:
    """A turn as the operators see it: its text (original and normalised), occurrences and place.

    Treat as read-only; `cache` memoises term look-ups per (interned) term set for this turn.
    """

    index: int
    speaker: str
    text: str
    norm: str
    occ: Occurrences
    start: float | None
    end: float | None
    agent_ordinal: int | None  #: 0 for the first agent turn, None for other speakers
    gap_before: float | None  #: silence since the previous turn ended, seconds
    prev_other: TurnContext | None = None  #: the latest earlier turn by another speaker
    cache: dict[int, list[Span]] = field(default_factory=dict, repr=False)

    def _spans(self, wanted: TermSet) -> list[Span]:
        key = id(wanted)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        out: list[Span] = []
        occ = self.occ
        if occ:
            for term in wanted.multi.intersection(occ):
                out.extend(occ[term])
        norm = self.norm
        for char in wanted.single:
            if char in norm:
                out.extend(_char_spans(norm, char))
        self.cache[key] = out
        return out

    def spans(self, terms: Iterable[str]) -> list[Span]:
        """Occurrences of any of `terms` (iterates the few terms found, not the lexicon); a new list."""
        return list(self._spans(terms if type(terms) is TermSet else termset(terms)))

    def has_any(self, terms: Iterable[str]) -> bool:
        wanted = terms if type(terms) is TermSet else termset(terms)
        if not wanted.multi.isdisjoint(self.occ):
            return True
        single_re = wanted.single_re
        return single_re is not None and single_re.search(self.norm) is not None


@dataclass(frozen=True, slots=True)
class CompiledNear:
    """A `Near` operator with normalised term sets."""

    left: TermSet
    right: TermSet
    within: int
    ordered: bool
    same_clause: bool


@dataclass(slots=True)
class CompiledRule:
    """A validated `Rule` with normalised term sets and compiled patterns."""

    rule: Rule
    any_terms: TermSet
    all_groups: tuple[TermSet, ...]
    none_terms: TermSet
    near: tuple[CompiledNear, ...]
    patterns: tuple[re.Pattern[str], ...] = field(default_factory=tuple)
    negators: TermSet = field(default_factory=lambda: TermSet(()))
    debunkers: TermSet = field(default_factory=lambda: TermSet(()))
    ignore: TermSet = field(default_factory=lambda: TermSet(()))
    reply_to: TermSet = field(default_factory=lambda: TermSet(()))
    #: proximity is the only trigger: some `near` needs both sides in the turn (a cheap first gate)
    near_only: bool = False
    #: speech rate or silence conditions are set
    timed: bool = False
    #: all patterns as one alternation: a turn where it finds nothing needs no pattern run
    pattern_gate: re.Pattern[str] | None = None

    @classmethod
    def compile(cls, rule: Rule) -> CompiledRule:
        def norm(terms: Iterable[str]) -> TermSet:
            return intern_terms(normalize(t) for t in terms)

        nears = tuple(
            CompiledNear(norm(n.left), norm(n.right), n.within, n.ordered, n.same_clause) for n in rule.near
        )
        neg = rule.negation
        return cls(
            rule=rule,
            any_terms=norm(rule.any),
            all_groups=tuple(norm(g) for g in rule.all),
            none_terms=norm(rule.none),
            near=nears,
            patterns=tuple(rule.compiled),
            negators=norm(neg.negators if neg else ()),
            debunkers=norm(neg.debunkers if neg else ()),
            ignore=norm(neg.ignore if neg else ()),
            reply_to=norm(rule.reply_to),
            near_only=bool(nears) and not rule.any and not rule.regex,
            pattern_gate=_gate(rule.compiled),
            timed=rule.speech_rate is not None or rule.silence is not None,
        )

    @property
    def trigger_terms(self) -> set[str]:
        """Terms whose presence makes the rule worth evaluating on a turn.

        Keyword and proximity rules are triggered by their `any` / `near.left` terms; a regex rule
        by its first `all` group (a cheap pre-filter), so regexes only run where they can match.
        """
        terms = set(self.any_terms)
        for n in self.near:
            terms |= set(n.left)
        if not terms and self.patterns and self.all_groups:
            terms = set(self.all_groups[0])
        return terms

    @property
    def always_candidate(self) -> bool:
        """Rules with no keyword trigger at all (regex without `all`, timing only) run on every turn."""
        return not self.trigger_terms


def _gate(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One alternation of several patterns (None for 0–1 patterns, or if they cannot be combined)."""
    if len(patterns) < 2:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except re.error:
        return None


def position_ok(position: Position | None, turn: TurnContext) -> bool:
    """Position operator: first N seconds, first N agent turns, before turn X (all that are set)."""
    if position is None:
        return True
    if position.before_turn is not None and turn.index >= position.before_turn:
        return False
    if position.first_agent_turns is not None and (
        turn.agent_ordinal is None or turn.agent_ordinal >= position.first_agent_turns
    ):
        return False
    if position.first_seconds is not None:
        if turn.start is None:
            # no timestamps: fall back to the first agent turns only when that is also asked
            return position.first_agent_turns is not None
        if turn.start >= position.first_seconds:
            return False
    return True


def speech_rate_ok(rate: SpeechRate | None, turn: TurnContext) -> bool:
    """Speech-rate operator: spoken characters per second of the turn within [min_cps, max_cps]."""
    if rate is None:
        return True
    if turn.start is None or turn.end is None or turn.end <= turn.start:
        return False
    cps = spoken_length(turn.text) / (turn.end - turn.start)
    if rate.min_cps is not None and cps < rate.min_cps:
        return False
    return not (rate.max_cps is not None and cps > rate.max_cps)


def silence_ok(silence: Silence | None, turn: TurnContext) -> bool:
    """Silence operator: the gap before the turn within [min_before, max_before] seconds."""
    if silence is None:
        return True
    if turn.gap_before is None:
        return False
    if silence.min_before is not None and turn.gap_before < silence.min_before:
        return False
    return not (silence.max_before is not None and turn.gap_before > silence.max_before)


def near_hits(near: Near | CompiledNear, turn: TurnContext, negators: Iterable[str] = (),
              ignore: Iterable[str] = ()) -> list[Span]:
    """Proximity operator: (left term, right term) pairs at most `within` characters apart.

    A negator between the two terms ("你不需要承担") cancels the pair.
    """
    hits: list[Span] = []
    if not turn.has_any(near.right):
        return hits
    lefts = turn._spans(termset(near.left))
    if not lefts:
        return hits
    rights = turn._spans(termset(near.right))
    if not rights:
        return hits
    pseudo = turn._spans(termset(ignore)) if ignore else []
    inner = [
        (ns, ne) for ns, ne in turn._spans(termset(negators))
        if not any(ps <= ns and ne <= pe for ps, pe in pseudo)
    ] if negators else []
    for ls, le in lefts:
        for rs, re_ in rights:
            if rs >= le:
                gap_start, gap_end = le, rs
            elif not near.ordered and ls >= re_:
                gap_start, gap_end = re_, ls
            else:
                continue
            if gap_end - gap_start > near.within:
                continue
            if near.same_clause and has_break(turn.norm, gap_start, gap_end):
                continue
            if any(gap_start <= ns and ne <= gap_end for ns, ne in inner):
                continue
            hits.append((min(ls, rs), max(le, re_)))
    return hits


def negated(span: Span, negation: Negation | None, negators: Iterable[str], debunkers: Iterable[str],
            turn: TurnContext, ignore: Iterable[str] = ()) -> bool:
    """Negation-scope operator.

    A negator (不会, 没有, 不用…) ending at most `before` characters before the hit, in the same clause,
    or a debunker (是谣言, 不准确…) starting at most `after` characters after it, in the same sentence,
    cancels the hit.
    """
    if negation is None:
        return False
    start, end = span
    pseudo = turn._spans(termset(ignore)) if ignore else []
    for ns, ne in turn._spans(termset(negators)):
        if any(ps <= ns and ne <= pe for ps, pe in pseudo):
            continue
        if ne <= start and start - ne <= negation.before and not has_break(turn.norm, ne, start, CLAUSE_BREAKS):
            gap = turn.norm[ne:start]
            if not any(b in gap for b in negation.breakers):
                return True
        if ns < start < ne:  # the negator straddles the hit start (e.g. 不收 + 收取)
            return True
    for ds, _de in turn._spans(termset(debunkers)):
        if ds >= end and ds - end <= negation.after and not has_break(turn.norm, end, ds, SENTENCE_BREAKS):
            return True
    return False


def _near_none(span: Span, terms: Iterable[str], within: int, turn: TurnContext) -> bool:
    start, end = span
    for ts, te in turn._spans(termset(terms)):
        if te <= start and start - te <= within:
            return True
        if ts >= end and ts - end <= within:
            return True
        if ts < end and te > start:  # overlapping
            return True
    return False


def rule_hits(compiled: CompiledRule, turn: TurnContext, audience: str) -> list[Span]:
    """Spans of `turn` where the rule fires (empty when any condition fails)."""
    rule = compiled.rule
    if turn.speaker not in rule.speaker or audience not in rule.audience:
        return []
    if compiled.near_only:
        for near in compiled.near:
            if turn.has_any(near.right) and turn.has_any(near.left):
                break
        else:
            return []
    for group in compiled.all_groups:
        if not turn.has_any(group):
            return []
    if rule.position is not None and not position_ok(rule.position, turn):
        return []
    if compiled.reply_to and (turn.prev_other is None or not turn.prev_other.has_any(compiled.reply_to)):
        return []
    if compiled.none_terms and rule.none_within is None and turn.has_any(compiled.none_terms):
        return []
    if compiled.timed and (not speech_rate_ok(rule.speech_rate, turn) or not silence_ok(rule.silence, turn)):
        return []

    hits: list[Span] = turn.spans(compiled.any_terms) if compiled.any_terms else []  # a fresh list
    for near in compiled.near:
        hits.extend(near_hits(near, turn, compiled.negators, compiled.ignore))
    norm = turn.norm
    patterns = compiled.patterns
    if compiled.pattern_gate is not None and compiled.pattern_gate.search(norm) is None:
        patterns = ()
    for pattern in patterns:
        for m in pattern.finditer(norm):
            if m.end() > m.start():
                hits.append(m.span())
    if not (compiled.any_terms or compiled.near or compiled.patterns):
        hits = [(0, len(turn.text))]  # a timing-only rule flags the whole turn
    if not hits:
        return []

    out: list[Span] = []
    for span in sorted(set(hits)):
        if negated(span, rule.negation, compiled.negators, compiled.debunkers, turn, compiled.ignore):
            continue
        if compiled.none_terms and rule.none_within is not None and _near_none(
            span, compiled.none_terms, rule.none_within, turn
        ):
            continue
        out.append(span)
    return out


def build_turns(turns: Iterable[tuple[str, str, float | None, float | None]], index: KeywordIndex) -> list[TurnContext]:
    """Turn contexts for (speaker, text, start, end) tuples, scanning each text once."""
    out: list[TurnContext] = []
    agent_ordinal = 0
    prev_end: float | None = None
    prev: TurnContext | None = None
    scan = index.scan

    for i, (speaker, text, start, end) in enumerate(turns):
        norm = normalize(text)
        gap = start - prev_end if (start is not None and prev_end is not None) else None
        ordinal: int | None = None
        if speaker == "agent":
            ordinal = agent_ordinal
            agent_ordinal += 1
        # the latest earlier turn by another speaker: the previous turn, or the one it replied to
        prev_other = None if prev is None else (prev if prev.speaker != speaker else prev.prev_other)
        prev = TurnContext(i, speaker, text, norm, scan(norm), start, end, ordinal,
                           max(gap, 0.0) if gap is not None else None, prev_other)
        out.append(prev)
        if end is not None:
            prev_end = end
    return out

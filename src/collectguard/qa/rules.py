"""Rules as data: load and validate the YAML rule files (one per category) with Pydantic.

规则即数据：每个类别一个 YAML 文件（one YAML file per category）, plus `_common.yaml` with shared
lexicons. A term written `@name` in a list refers to a lexicon of that file or of `_common.yaml`.
A bad file raises `RuleFileError` naming the file and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collectguard.qa.checkspec import CHECK_PARAMS, CheckParams
from collectguard.qa.models import CATEGORY_RULE, Audience, Category, Severity, Speaker
from collectguard.qa.schema import Near, Negation, Position, Silence, SpeechRate
from collectguard.qa.text import normalize_pattern

COMMON_FILE = "_common.yaml"
RULES_PACKAGE = "collectguard.qa"
RULES_DIR = "rulesets"  # data: qa/rulesets/*.yaml (not to be confused with rulebook/rules/, code)


class RuleFileError(ValueError):
    """A rule file that cannot be used / 规则文件无效: names the file and the reason."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"规则文件无效 invalid rule file {file}: {reason}")
        self.file = file
        self.reason = reason


_Strict = ConfigDict(extra="forbid", frozen=True)


class Rule(BaseModel):
    """One pattern rule. Every listed condition must hold in one turn; triggers give the evidence.

    Triggers (at least one kind): `any` keywords, `near` proximity pairs, `regex` patterns.
    Filters: `speaker`, `audience`, `position`, `all` (each group present), `none` (no term present,
    in the turn or within `none_within` characters of the hit), `negation`, `speech_rate`, `silence`,
    `reply_to` (the other party's latest turn before this one has one of these terms).
    """

    model_config = _Strict

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    category: Category
    rule: str
    article: str
    severity: Severity
    description: str = ""
    speaker: list[Speaker] = Field(default_factory=lambda: list[Speaker](["agent"]))
    audience: list[Audience] = Field(default_factory=lambda: list[Audience](["debtor", "contact"]))
    position: Position | None = None
    any: list[str] = Field(default_factory=list)
    near: list[Near] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    all: list[list[str]] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    none_within: int | None = Field(default=None, ge=0)
    reply_to: list[str] = Field(
        default_factory=list, description="context: the other party's latest turn before this one has one of these"
    )
    negation: Negation | None = None
    speech_rate: SpeechRate | None = None
    silence: Silence | None = None
    examples: list[str] = Field(default_factory=list, description="sentences that must fire (self-test)")
    counter_examples: list[str] = Field(default_factory=list, description="sentences that must not fire")

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return patterns

    @model_validator(mode="after")
    def _has_trigger(self) -> Rule:
        if not (self.any or self.near or self.regex or self.speech_rate or self.silence):
            raise ValueError(
                f"rule {self.id}: needs a trigger (any, near, regex) or a timing condition (speech_rate, silence)"
            )
        if CATEGORY_RULE[self.category] != self.rule and self.rule != "art16-visit-conduct":
            raise ValueError(
                f"rule {self.id}: category {self.category} is reported under {CATEGORY_RULE[self.category]},"
                f" not {self.rule}"
            )
        return self

    @property
    def compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(normalize_pattern(p)) for p in self.regex]

    def keywords(self) -> set[str]:
        """Every literal term this rule uses (for the shared Aho-Corasick automaton)."""
        terms: set[str] = set(self.any) | set(self.none) | set(self.reply_to)
        for near in self.near:
            terms |= set(near.left) | set(near.right)
        for group in self.all:
            terms |= set(group)
        if self.negation:
            terms |= set(self.negation.negators) | set(self.negation.debunkers) | set(self.negation.ignore)
        return terms


class RawRule(BaseModel):
    """A rule as written in a file: category, rule id, article and severity default to the file's."""

    model_config = ConfigDict(extra="allow")
    id: str


class RuleFile(BaseModel):
    """One category's YAML file."""

    model_config = _Strict

    category: Category
    rule: str
    article: str
    severity: Severity
    description: str = ""
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    negation: dict[str, Any] | None = Field(default=None, description="negation scope; keys override the defaults")
    check: dict[str, Any] = Field(default_factory=dict, description="parameters of a call-level check")
    suppresses: list[Category] = Field(
        default_factory=list,
        description="a finding of this category in a turn drops pattern findings of these categories in that turn",
    )
    on_contact: Category | None = Field(
        default=None, description="on a contact call, this file's findings are reported as that category"
    )
    rules: list[dict[str, Any]] = Field(default_factory=list)


class CommonFile(BaseModel):
    model_config = _Strict
    description: str = ""
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    negation: dict[str, Any] | None = Field(default=None, description="negation scope; keys override the defaults")


class RuleSet(BaseModel):
    """Every rule of every category, lexicons resolved, plus the call-level check parameters."""

    model_config = ConfigDict(frozen=True)

    rules: list[Rule]
    checks: dict[str, CheckParams]  #: category → validated call-level check parameters
    severities: dict[str, Severity]  #: category → file severity
    articles: dict[str, str]  #: category → article
    lexicons: dict[str, list[str]]  #: the common lexicons, resolved
    suppresses: dict[str, list[str]] = Field(default_factory=dict)  #: category → categories it overrides


def _resolve_terms(terms: Iterable[Any], lexicons: dict[str, list[str]], where: str) -> list[str]:
    out: list[str] = []
    for term in terms:
        if not isinstance(term, str) or not term:
            raise ValueError(f"{where}: terms must be non-empty strings, got {term!r}")
        if term.startswith("@"):
            name = term[1:]
            if name not in lexicons:
                raise ValueError(f"{where}: unknown lexicon {term!r}")
            out.extend(lexicons[name])
        else:
            out.append(term)
    # keep order, drop duplicates
    return list(dict.fromkeys(out))


def _resolve_lexicons(raw: dict[str, list[str]], base: dict[str, list[str]], where: str) -> dict[str, list[str]]:
    """Lexicons may refer to earlier-defined lexicons (`@other`)."""
    resolved = dict(base)
    for name, terms in raw.items():
        if not isinstance(terms, list):
            raise ValueError(f"{where}: lexicon {name!r} must be a list of strings")
        resolved[name] = _resolve_terms(terms, resolved, f"{where} lexicon {name!r}")
    return resolved


_TERM_KEYS = ("any", "none", "reply_to")


def _resolve_value(value: Any, lexicons: dict[str, list[str]], where: str) -> Any:
    """Resolve `@lexicon` references in a check parameter (strings in lists only)."""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return _resolve_terms(value, lexicons, where)
        return [_resolve_value(v, lexicons, where) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_value(v, lexicons, f"{where}.{k}") for k, v in value.items()}
    return value


def _negation(raw: Any, default: Negation | None, lexicons: dict[str, list[str]], where: str) -> Negation | None:
    if raw is None:
        return default
    if raw is False:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: negation must be a mapping or false")
    base = default.model_dump() if default else {}
    merged = {**base, **raw}
    merged["negators"] = _resolve_terms(merged.get("negators", []), lexicons, f"{where}.negators")
    merged["debunkers"] = _resolve_terms(merged.get("debunkers", []), lexicons, f"{where}.debunkers")
    merged["ignore"] = _resolve_terms(merged.get("ignore", []), lexicons, f"{where}.ignore")
    merged["breakers"] = _resolve_terms(merged.get("breakers", []), lexicons, f"{where}.breakers")
    return Negation.model_validate(merged)


def _build_rule(raw: dict[str, Any], file: RuleFile, lexicons: dict[str, list[str]], file_neg: Negation | None) -> Rule:
    RawRule.model_validate(raw)
    where = f"rule {raw['id']}"
    data: dict[str, Any] = dict(raw)
    data.setdefault("category", file.category)
    data.setdefault("rule", file.rule)
    data.setdefault("article", file.article)
    data.setdefault("severity", file.severity)
    for key in _TERM_KEYS:
        if key in data:
            data[key] = _resolve_terms(data[key] or [], lexicons, f"{where}.{key}")
    if "all" in data:
        groups = data["all"] or []
        if not isinstance(groups, list):
            raise ValueError(f"{where}.all must be a list of term groups")
        data["all"] = [_resolve_terms(g if isinstance(g, list) else [g], lexicons, f"{where}.all") for g in groups]
    if "near" in data:
        nears = data["near"] or []
        if not isinstance(nears, list):
            raise ValueError(f"{where}.near must be a list")
        out = []
        for near in nears:
            if not isinstance(near, dict):
                raise ValueError(f"{where}.near entries must be mappings with left/right/within")
            near = dict(near)
            for side in ("left", "right"):
                near[side] = _resolve_terms(near.get(side) or [], lexicons, f"{where}.near.{side}")
            out.append(near)
        data["near"] = out
    data["negation"] = _negation(data.get("negation"), file_neg, lexicons, f"{where}.negation")
    return Rule.model_validate(data)


def _build_check(category: str, raw: dict[str, Any], lexicons: dict[str, list[str]],
                 file_neg: Negation | None) -> CheckParams:
    model = CHECK_PARAMS.get(category)
    if model is None:
        raise ValueError(f"category {category} has no call-level check; remove its `check:` section")
    data = {k: v for k, v in raw.items() if k != "negation"}
    data = _resolve_value(data, lexicons, "check")
    if "negation" in model.model_fields:
        data["negation"] = _negation(raw.get("negation"), file_neg, lexicons, "check.negation")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"check: {_format_validation(exc)}") from exc


def _expand_on_contact(rule: Rule, file: RuleFile) -> list[Rule]:
    """With `on_contact: X`, a rule's contact-call part is reported as category X (e.g. a threat
    made to a contact is pressure on a third party, art. 7)."""
    if file.on_contact is None or "contact" not in rule.audience or rule.category != file.category:
        return [rule]
    out = []
    rest = [a for a in rule.audience if a != "contact"]
    if rest:
        out.append(rule.model_copy(update={"audience": rest}))
    out.append(rule.model_copy(update={
        "id": f"{rule.id}.contact",
        "category": file.on_contact,
        "rule": CATEGORY_RULE[file.on_contact],
        "audience": ["contact"],
    }))
    return out


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _read_yaml(name: str, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleFileError(name, f"YAML 语法错误 / YAML syntax error: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(name, "顶层必须是映射 / the top level must be a mapping")
    return data


def parse_rule_files(files: dict[str, str]) -> RuleSet:
    """Build a `RuleSet` from `{file name: YAML text}`; `_common.yaml` (if present) is shared."""
    common_lex: dict[str, list[str]] = {}
    common_neg: Negation | None = None
    if COMMON_FILE in files:
        raw = _read_yaml(COMMON_FILE, files[COMMON_FILE])
        try:
            common = CommonFile.model_validate(raw)
            common_lex = _resolve_lexicons(common.lexicons, {}, COMMON_FILE)
            common_neg = _negation(common.negation, None, common_lex, "negation")
        except ValidationError as exc:
            raise RuleFileError(COMMON_FILE, _format_validation(exc)) from exc
        except ValueError as exc:
            raise RuleFileError(COMMON_FILE, str(exc)) from exc

    rules: list[Rule] = []
    checks: dict[str, CheckParams] = {}
    severities: dict[str, Severity] = {}
    articles: dict[str, str] = {}
    suppresses: dict[str, list[str]] = {}
    seen_ids: dict[str, str] = {}
    seen_categories: dict[str, str] = {}
    for name in sorted(files):
        if name == COMMON_FILE:
            continue
        raw = _read_yaml(name, files[name])
        try:
            file = RuleFile.model_validate(raw)
            if file.category in seen_categories:
                raise ValueError(f"category {file.category} is already defined in {seen_categories[file.category]}")
            seen_categories[file.category] = name
            if CATEGORY_RULE[file.category] != file.rule:
                raise ValueError(
                    f"category {file.category} is reported under {CATEGORY_RULE[file.category]}, not {file.rule}"
                )
            lexicons = _resolve_lexicons(file.lexicons, common_lex, name)
            file_neg = _negation(file.negation, common_neg, lexicons, "negation")
            for raw_rule in file.rules:
                if not isinstance(raw_rule, dict) or "id" not in raw_rule:
                    raise ValueError(f"every rule needs an id, got {raw_rule!r}")
                for rule in _expand_on_contact(_build_rule(raw_rule, file, lexicons, file_neg), file):
                    if rule.id in seen_ids:
                        raise ValueError(f"duplicate rule id {rule.id} (also in {seen_ids[rule.id]})")
                    seen_ids[rule.id] = name
                    rules.append(rule)
            if file.check:
                checks[file.category] = _build_check(file.category, file.check, lexicons, file_neg)
            severities[file.category] = file.severity
            if file.suppresses:
                suppresses[file.category] = list(file.suppresses)
            articles[file.category] = file.article
        except ValidationError as exc:
            raise RuleFileError(name, _format_validation(exc)) from exc
        except RuleFileError:
            raise
        except ValueError as exc:
            raise RuleFileError(name, str(exc)) from exc
    return RuleSet(rules=rules, checks=checks, severities=severities, articles=articles, lexicons=common_lex,
                   suppresses=suppresses)


def read_rule_dir(directory: Path | None = None) -> dict[str, str]:
    """The `*.yaml` files of a directory, or of the packaged rules when `directory` is None."""
    if directory is not None:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(directory).glob("*.yaml"))}
    root = resources.files(RULES_PACKAGE).joinpath(RULES_DIR)
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in root.iterdir()
        if entry.name.endswith(".yaml")
    }


def load_rules(directory: Path | None = None) -> RuleSet:
    """Load and validate the rule files (the packaged defaults when `directory` is None)."""
    files = read_rule_dir(directory)
    if not files:
        raise RuleFileError(str(directory), "没有规则文件 / no *.yaml rule files found")
    return parse_rule_files(files)

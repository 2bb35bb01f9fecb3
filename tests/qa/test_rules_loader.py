"""Rule files: the packaged set loads, every rule's own examples behave, bad files are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectguard.qa.inspector import Inspector
from collectguard.qa.models import CATEGORIES, CATEGORY_RULE, Call
from collectguard.qa.rules import RuleFileError, load_rules, parse_rule_files

RULES = load_rules()
HEADER = "category: threat\nrule: art16-etiquette\narticle: 第16条\nseverity: critical\n"


def test_every_category_is_covered_by_rules_or_a_check() -> None:
    covered = {r.category for r in RULES.rules} | set(RULES.checks)
    assert covered == set(CATEGORIES)
    for rule in RULES.rules:
        assert rule.rule == CATEGORY_RULE[rule.category]
        assert rule.article.startswith("第")


def test_keywords_of_all_rules_and_checks_are_in_one_automaton() -> None:
    insp = Inspector.default()
    multi = {t for r in RULES.rules for t in r.keywords() if len(t) > 1}
    assert {t.replace("您", "你").lower() for t in multi} <= insp.index.terms
    assert len(insp.index.terms) > 1000


def _one_agent_turn(text: str, audience: str, asked: str = "") -> Call:
    """The agent says `text` (after the other party said `asked`, for `reply_to` rules)."""
    other = "debtor" if audience == "debtor" else "contact"
    turns = [{"speaker": other, "text": asked}] if asked else []
    turns += [{"speaker": "agent", "text": text}, {"speaker": other, "text": "嗯"}]
    return Call.model_validate({"id": "x", "audience": audience, "turns": turns})


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_rule_examples_fire_and_counter_examples_do_not(rule) -> None:  # type: ignore[no-untyped-def]
    insp = Inspector.default()
    audience = rule.audience[0]
    asked = f"{rule.reply_to[0]}？" if rule.reply_to else ""
    for text in rule.examples:
        found = insp.inspect(_one_agent_turn(text, audience, asked))
        assert rule.id in {f.rule_id for f in found} or rule.category in {f.category for f in found}, (
            f"{rule.id} should fire on {text!r}"
        )
    for text in rule.counter_examples:
        cats = {f.category for f in insp.inspect(_one_agent_turn(text, audience, asked))}
        assert rule.category not in cats, f"{rule.id} should not fire on {text!r}"


def test_every_rule_documents_itself() -> None:
    for rule in RULES.rules:
        if rule.id.endswith(".contact"):
            continue
        assert rule.description and rule.examples and rule.counter_examples, rule.id


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("rules: [", "YAML"),
        (HEADER + "rules:\n  - id: a.b\n    any: ['@nope']\n", "unknown lexicon '@nope'"),
        (HEADER + "rules:\n  - id: a.b\n    regex: ['(']\n", "bad regular expression"),
        (HEADER + "rules:\n  - id: a.b\n    description: no trigger\n", "needs a trigger"),
        (HEADER + "rules:\n  - id: a.b\n    any: [x]\n    frobnicate: 1\n", "frobnicate"),
        (HEADER + "rules:\n  - id: a.b\n    any: [x]\n  - id: a.b\n    any: [y]\n", "duplicate rule id a.b"),
        (HEADER + "rules:\n  - id: a.b\n    any: [x]\n    near: [{left: [x], right: [y]}]\n", "within"),
        (HEADER + "rules:\n  - any: [x]\n", "needs an id"),
        ("category: threat\nrule: art11-truthful\narticle: x\nseverity: major\n", "reported under art16-etiquette"),
        ("category: nonsense\nrule: x\narticle: x\nseverity: major\n", "category"),
        (HEADER + "rules:\n  - id: a.b\n    any: [x]\n    severity: deadly\n", "severity"),
        (HEADER + "check: {notice: [x]}\n", "has no call-level check"),
    ],
)
def test_bad_rule_file_is_a_clear_error(text: str, reason: str) -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rule_files({"threat.yaml": text})
    assert "threat.yaml" in str(err.value)
    assert reason in str(err.value)


def test_bad_check_parameters_name_the_file() -> None:
    text = ("category: recording-notice-missing\nrule: art16-recording-notice\narticle: x\nseverity: major\n"
            "check: {notice: []}\n")
    with pytest.raises(RuleFileError) as err:
        parse_rule_files({"recording-notice-missing.yaml": text})
    assert "recording-notice-missing.yaml" in str(err.value) and "notice" in str(err.value)


def test_load_from_directory(tmp_path: Path) -> None:
    (tmp_path / "threat.yaml").write_text(HEADER + "rules:\n  - id: t.x\n    any: [揍你]\n", encoding="utf-8")
    insp = Inspector.from_directory(tmp_path)
    assert [f.evidence for f in insp.inspect_text("再不还揍你", "debtor")] == ["揍你"]
    with pytest.raises(RuleFileError):
        load_rules(tmp_path / "missing")

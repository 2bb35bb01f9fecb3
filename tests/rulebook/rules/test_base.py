"""What a rule is (rules/base.py) and the catalogue it is assembled from (rules/__init__.py): one immutable unit
per rule id, built per profile, with nothing registered on import and nothing changeable afterwards."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from datetime import date
from types import ModuleType

import pytest

import collectguard.rulebook as rulebook
from collectguard.rulebook import facts as f
from collectguard.rulebook.profile import _rules, load_profile
from collectguard.rulebook.rules import CATALOGUE, Rule
from collectguard.rulebook.rules.base import Fail, debt_fields_in, fail_all
from collectguard.rulebook.vocabulary import Audience, Channel
from tests.rulebook.rules.world import PROFILE


def test_every_rule_of_the_profile_is_one_immutable_unit_with_its_check() -> None:
    assert [r.id for r in PROFILE.rules][:1] == ["art6-collector-qualified"]
    for rule in PROFILE.rules:
        assert isinstance(rule, Rule) and rule.check is CATALOGUE[rule.id]
        assert rule.profile in ("nifa-2024", "collectguard") and rule.article and rule.message_zh and rule.message_en
        with pytest.raises(dataclasses.FrozenInstanceError):
            rule.check = lambda ctx: None  # type: ignore[misc]
    assert {r.id for r in PROFILE.rules} == set(CATALOGUE)


def test_the_catalogue_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        CATALOGUE["art9-quiet-hours"] = lambda ctx: None  # type: ignore[index]


def test_a_profile_naming_a_rule_without_a_check_is_refused() -> None:
    raw = {"profile": "p", "effective_from": date(2030, 1, 1),
           "rules": {"art9-quiet-hours": {"article": "9", "zh": "静默", "en": "quiet"},
                     "art99-new": {"article": "99", "zh": "新", "en": "new"}}}
    with pytest.raises(ValueError, match="art99-new"):
        _rules(raw, CATALOGUE)
    (rule,) = _rules({**raw, "rules": {"art9-quiet-hours": raw["rules"]["art9-quiet-hours"]}}, CATALOGUE)
    assert rule.effective_from == date(2030, 1, 1) and rule.profile == "p" and rule.cited_en == "art. 9"


def test_effective_dates_are_inclusive() -> None:
    rule = Rule("r", "9", "p", date(2024, 5, 1), "zh", "en", lambda ctx: None, effective_to=date(2024, 5, 31))
    assert [rule.in_force(d) for d in (date(2024, 4, 30), date(2024, 5, 1), date(2024, 5, 31), date(2024, 6, 1))] == [
        False, True, True, False]


def test_loading_a_profile_twice_gives_the_same_rules() -> None:
    assert load_profile() is PROFILE and load_profile().rules == PROFILE.rules


def _modules() -> list[ModuleType]:
    return [importlib.import_module(m.name) for m in pkgutil.walk_packages(rulebook.__path__, "collectguard.rulebook.")]


def test_no_rulebook_module_keeps_a_mutable_global() -> None:
    # A mutable module global (a registry of checks, a cache of rules in force) is state shared by every
    # decision that a test or an import can change; the rulebook keeps none.
    found = [f"{m.__name__}.{name}" for m in _modules() for name, value in vars(m).items()
             if not name.startswith("__") and isinstance(value, dict | list | set | bytearray)]
    assert found == []


def test_fail_all_names_every_problem_in_order() -> None:
    assert fail_all([]) is None
    assert fail_all([("甲", "a"), ("乙", "b")]) == Fail("甲；乙", "a; b")


def test_debt_fields_are_found_with_spaces_inside_the_braces() -> None:
    template = f.Template("t", "bank", Audience.DEBTOR, Channel.SMS, True, "逾期{ overdue_days }天，{debtor_name}")
    assert debt_fields_in(template, PROFILE) == ["overdue_days"]

"""The rulebook: a pure library (no database, web framework or clock) that judges one contact attempt.

`evaluate(facts)` applies every rule of a profile (NIFA 2024 by default) to an immutable snapshot of
facts and returns a `Decision` listing every failing rule. The gate service, the scenario runner and
replay tools all call this one function.
"""

from collectguard.rulebook.decision import Decision, RuleError, Violation
from collectguard.rulebook.engine import evaluate, rulebook_version
from collectguard.rulebook.profile import DEFAULT_PROFILE, Profile, load_profile

__all__ = [
    "DEFAULT_PROFILE",
    "Decision",
    "Profile",
    "RuleError",
    "Violation",
    "evaluate",
    "load_profile",
    "rulebook_version",
]

"""The contact gate rules: one small pure check per rule id; metadata lives in the profile files."""

from collectguard.rulebook.rules import (  # noqa: F401  (importing registers the checks)
    agencies,
    caps,
    conduct,
    holds,
    notices,
    qualification,
    repayment,
    targets,
    timing,
    tools,
)
from collectguard.rulebook.rules.base import CHECKS, Context, Fail

__all__ = ["CHECKS", "Context", "Fail"]

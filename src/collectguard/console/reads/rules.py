"""What a rule id means, for pages that cite one: its article and headline, from the institution's profile."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from collectguard.rulebook.profile import DEFAULT_PROFILE, load_profile


@dataclass(frozen=True)
class Cited:
    rule: str
    article: str
    zh: str
    en: str


@lru_cache(maxsize=8)
def _catalogue(profile: str) -> dict[str, Cited]:
    loaded = load_profile(profile)
    out = {r.id: Cited(r.id, r.article, r.message_zh, r.message_en) for r in loaded.rules}
    out.update({o.id: Cited(o.id, o.article, o.title_zh, o.title_en) for o in loaded.obligations.values()})
    return out


class RuleRow(NamedTuple):
    """A rule cited with a count (denials, findings)."""

    cited: Cited
    n: int


def cite(rule_id: str, profile: str = DEFAULT_PROFILE) -> Cited:
    """The rule's article and headline; an id the profile does not know (a QA or oversight rule) as itself."""
    return _catalogue(profile).get(rule_id) or Cited(rule_id, "", rule_id, rule_id)

"""Template linting (模板审核): the checks run when an SMS / voice / letter template is submitted for
approval, before any debtor or contact sees it.

    from collectguard.qa.templates import lint_template
    findings = lint_template("【示例银行】您的借款已逾期{overdue_days}天，请通过官方App还款。", "debtor", "sms")

`lint_template` = `inspect_text` (misleading, threat, insult, extra fees, private channels, illegal
funding…; for a contact template any debt field such as `{overdue_amount}` is third-party-disclosure)
plus one template-specific check: the text must name the institution — an organisation-name shape
(…银行 / …公司 / …金融 / …小贷 …), an SMS signature 【…】, or an `{institution_name}`-like field —
otherwise an `identity-not-stated` finding (art11-identity) is added.
"""

from __future__ import annotations

import re
from functools import cache

from collectguard.qa.checkspec import IdentityStatedParams
from collectguard.qa.inspector import Inspector
from collectguard.qa.models import CATEGORY_RULE, Finding
from collectguard.qa.text import normalize
from collectguard.rulebook.vocabulary import Audience, Channel

#: an SMS signature such as 【示例银行】 (at least two characters inside)
SIGNATURE_RE = re.compile(r"【[^【】\s]{2,}】")
#: a template field naming the institution or agency
NAME_FIELD_RE = re.compile(r"\{(?:institution|agency|company|org|creditor|lender|brand)[a-z_]*\}")
#: words after a suffix that make it a thing, not a name: 银行卡, 银行账户, 公司账户
_NOT_AN_ORG_AFTER = ("卡", "账", "流水", "转账", "柜台", "网点", "app")


@cache
def _name_params(inspector: Inspector) -> IdentityStatedParams | None:
    params = inspector.ruleset.checks.get("identity-not-stated")
    return params if isinstance(params, IdentityStatedParams) else None


def _is_name_char(ch: str, stop: str) -> bool:
    return (ch.isalnum() or ch in "}") and ch not in stop


def names_institution(text: str, inspector: Inspector | None = None) -> bool:
    """Whether a template text names an institution: an organisation-name shape (2+ name characters
    before …银行 / …公司 / …金融 / …小贷 …, not a department), a known short name (工行, 招联 …), an
    SMS signature 【…】, or an institution/agency template field."""
    norm = normalize(text)
    if NAME_FIELD_RE.search(norm) or SIGNATURE_RE.search(text):
        return True
    params = _name_params(inspector or Inspector.default())
    if params is None:
        return False
    if any(name in norm for name in params.org_names):
        return True
    stop = params.not_name_chars
    need = max(params.min_name_chars, 1)
    for suffix in params.org_suffixes:
        start = norm.find(suffix)
        while start >= 0:
            end = start + len(suffix)
            after = norm[end:]
            department = any(after.startswith(b) for b in params.suffix_blockers)
            thing = any(after.startswith(w) for w in _NOT_AN_ORG_AFTER)
            name = norm[max(0, start - need):start]
            if not department and not thing and len(name) == need and all(_is_name_char(c, stop) for c in name):
                return True
            start = norm.find(suffix, start + 1)
    return False


def lint_template(text: str, audience: str, channel: str) -> list[Finding]:
    """Findings for a collection template before approval (see the module docstring).

    `audience`: debtor or contact; `channel`: voice, sms, 5g_message, email, im, video, letter, visit.
    Raises ValueError for an unknown audience or channel or an empty text.
    """
    if audience not in {a.value for a in Audience}:
        raise ValueError(f"audience must be 'debtor' or 'contact', got {audience!r}")
    if channel not in {c.value for c in Channel}:
        raise ValueError(f"unknown channel {channel!r}; one of {', '.join(c.value for c in Channel)}")
    if not text.strip():
        raise ValueError("template text is empty / 模板内容为空")
    inspector = Inspector.default()
    # the call-level opening check is replaced by the template rule below (a template has no opening)
    findings = [f for f in inspector.inspect_text(text, audience) if f.category != "identity-not-stated"]
    if not names_institution(text, inspector):
        findings.insert(0, Finding(
            category="identity-not-stated",
            rule=CATEGORY_RULE["identity-not-stated"],
            turn=0,
            start=None,
            end=None,
            evidence=text,
            severity=inspector.ruleset.severities.get("identity-not-stated", "minor"),
            rule_id="identity-not-stated.template",
        ))
    return findings

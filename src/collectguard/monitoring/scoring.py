"""Suggested grades for an agency's evaluation (art. 18(二)): one 0–100 score per criterion, from the evidence's
figures. Pure: numbers in, scores out. Each score is simple and monotone — more denials, repeats, contacts against a
deny, findings, security events or complaints never raise it; more complete records never lower it — and each
comes with the one line that says how it was derived. A suggestion only: the evaluator grades.

- compliance            = 100 × (1 − (denied + after_deny + against_deny) / attempts), floored at 0; 100 without
                          attempts. A contact against a deny is also a denial: it weighs twice, on purpose.
- task_quality          = 100 − 0.2 × QA findings per 1,000 connected calls, floored at 0 (one finding every
                          other call: 0); 100 without calls.
- information_security  = 100 × (1 − 10 × security events / attempts), floored at 0 (security events: denials
                          under `SECURITY_RULES` and QA findings under them; 10 % of attempts: 0); 100 without attempts.
- records               = 50 × records completeness + 50 × recording share (a missing share counts as complete).
- complaints            = 100 − 20 × complaints per 1,000 attempts, floored at 0; 100 without attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from collectguard.monitoring.schemas import Score, Suggested

# Rules whose breach is an information-security event: disclosure to a third party (art. 8(三)), unregistered or
# foreign collection tools (art. 10), an envelope that shows private information (art. 15(三)3), a private channel
# (art. 11, from quality inspection).
SECURITY_RULES = frozenset({"art8-contact-no-disclosure", "art10-registered-tool", "art10-tool-scope",
                            "art15-letter-envelope", "art11-official-channel"})
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Inputs:
    attempts: int
    denied: int
    after_deny: int
    against_deny: int
    calls: int
    findings_per_1000_calls: Decimal
    security_events: int
    completeness: Decimal | None
    recording_share: Decimal | None
    complaints: int


def _clamp(value: Decimal) -> int:
    return int(max(Decimal(0), min(HUNDRED, value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> Decimal | None:
    """part / whole to 4 decimals; None when there is nothing to divide by."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def suggest(x: Inputs) -> Suggested:
    if x.attempts:
        bad = x.denied + x.after_deny + x.against_deny
        compliance = Score(
            score=_clamp(HUNDRED * (1 - Decimal(bad) / x.attempts)),
            reason_zh=f"100 ×（1 −（被拒 {x.denied} + 被拒后再试 {x.after_deny} + 被拒后仍联系 {x.against_deny}）/ "
                      f"尝试 {x.attempts}）",
            reason_en=f"100 × (1 − (denied {x.denied} + after a deny {x.after_deny} + against a deny "
                      f"{x.against_deny}) / attempts {x.attempts})")
        security = Score(
            score=_clamp(HUNDRED * (1 - 10 * Decimal(x.security_events) / x.attempts)),
            reason_zh=f"100 ×（1 − 10 × 信息安全事件 {x.security_events} / 尝试 {x.attempts}）（披露、工具、信封、私人渠道）",
            reason_en=f"100 × (1 − 10 × security events {x.security_events} / attempts {x.attempts}) (disclosure, "
                      "tools, envelopes, private channels)")
        per_1000 = Decimal(x.complaints) * 1000 / x.attempts
        complaints = Score(
            score=_clamp(HUNDRED - 20 * per_1000),
            reason_zh=f"100 − 20 × 每千次尝试投诉数（投诉 {x.complaints}，尝试 {x.attempts}）",
            reason_en=f"100 − 20 × complaints per 1,000 attempts ({x.complaints} complaints, {x.attempts} attempts)")
    else:
        compliance = Score(score=100, reason_zh="期间无尝试", reason_en="no attempts in the period")
        security = Score(score=100, reason_zh="期间无尝试", reason_en="no attempts in the period")
        complaints = Score(score=100, reason_zh="期间无尝试、无投诉", reason_en="no attempts and no complaints")
    if x.calls:
        quality = Score(
            score=_clamp(HUNDRED - x.findings_per_1000_calls / 5),
            reason_zh=f"100 − 0.2 × 每千通通话质检问题数（{x.findings_per_1000_calls}，通话 {x.calls}）",
            reason_en=f"100 − 0.2 × QA findings per 1,000 calls ({x.findings_per_1000_calls}, {x.calls} calls)")
    else:
        quality = Score(score=100, reason_zh="期间无接通的通话", reason_en="no connected calls in the period")
    completeness = x.completeness if x.completeness is not None else Decimal(1)
    recorded = x.recording_share if x.recording_share is not None else Decimal(1)
    records = Score(
        score=_clamp(50 * completeness + 50 * recorded),
        reason_zh=f"50 × 结果报告率 {completeness} + 50 × 录音录像率 {recorded}（无可计者按 1）",
        reason_en=f"50 × outcome completeness {completeness} + 50 × recording share {recorded} (1 where none is due)")
    return Suggested(compliance=compliance, task_quality=quality, information_security=security, records=records,
                     complaints=complaints)

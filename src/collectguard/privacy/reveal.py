"""Why personal data was shown in clear (查看明文的理由), in a form the append-only ledger may keep.

Why a category and not free text: a reveal is recorded for good in a hash-chained ledger that cannot be
corrected, and a typed reason is exactly where an agent writes "debtor 张三 13800138000 called about…".
The category says why (what an auditor counts and checks); a short note may add a ticket or case number.
The note is masked before it is stored: phone and ID numbers and e-mail addresses by shape (`redact`),
and any other run of 7 or more digits (a landline, a bank card) down to its last 4. Names cannot be
recognised in free text, so the note is kept short (`NOTE_MAX` characters) to leave no room for a story.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from collectguard.privacy.redact import redact

NOTE_MAX = 60


class RevealReason(StrEnum):
    """查看明文的理由类别 The category of a reveal's reason."""

    COMPLAINT = "complaint"
    REPAYMENT_VERIFICATION = "repayment_verification"
    LEGAL_REQUEST = "legal_request"
    DEBTOR_REQUEST = "debtor_request"
    COMPLIANCE_INSPECTION = "compliance_inspection"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Chinese first, English beside it: 投诉处理 complaint handling."""
        return _LABELS[self]


_LABELS: dict[RevealReason, str] = {
    RevealReason.COMPLAINT: "投诉处理 complaint handling",
    RevealReason.REPAYMENT_VERIFICATION: "还款核实 repayment verification",
    RevealReason.LEGAL_REQUEST: "司法协查 legal or judicial request",
    RevealReason.DEBTOR_REQUEST: "债务人本人请求 debtor's own request",
    RevealReason.COMPLIANCE_INSPECTION: "合规检查 compliance inspection",
    RevealReason.OTHER: "其他 other (a note is required)",
}

# A run of digits, possibly broken by single spaces as a bank card is printed (6222 0212 3456 7890). A dash
# ends a run, so a case number such as C-2026-0042 stays readable; a landline's number part (0755-1234567)
# is long enough on its own.
_DIGIT_RUN = re.compile(r"\d(?: ?\d)*")
_LONG_RUN = 7
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WS = re.compile(r"\s+")


def _mask_run(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    if len(digits) < _LONG_RUN:
        return m.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


def clean_note(note: str | None) -> str | None:
    """The note as it may be stored: normalised (NFKC, one space for any run of white space, no control
    characters), then masked. None or blank gives None. Length is the caller's check (`NOTE_MAX`)."""
    if note is None:
        return None
    text = _WS.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFKC", note))).strip()
    if not text:
        return None
    return _DIGIT_RUN.sub(_mask_run, redact(text))

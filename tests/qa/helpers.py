"""Small builders for QA tests (fresh sentences, not taken from any data set)."""

from __future__ import annotations

from typing import Any

from collectguard.qa.inspector import Inspector
from collectguard.qa.models import Call

OPENING = "您好，我是宏远消费金融有限公司委托的安信服务有限公司专员，工号2201，本次通话全程录音。请问是王五先生本人吗？"


def call(*turns: tuple[str, str], audience: str = "debtor", meta: dict[str, Any] | None = None,
         opening: bool = True, call_id: str = "t-1") -> Call:
    """A call with timestamps; by default a compliant opening and a confirmation come first."""
    rows: list[tuple[str, str]] = []
    if opening:
        rows += [("agent", OPENING), ("debtor" if audience == "debtor" else "contact", "是我，你说。")]
    rows += list(turns)
    t = 0.0
    out = []
    for speaker, text in rows:
        dur = max(1.0, len(text) / 5)
        out.append({"speaker": speaker, "start": round(t, 2), "end": round(t + dur, 2), "text": text})
        t += dur + 0.5
    return Call.model_validate({"id": call_id, "audience": audience, "turns": out, "meta": meta or {}})


def categories(c: Call) -> set[str]:
    return {f.category for f in Inspector.default().inspect(c)}


def agent_says(text: str, audience: str = "debtor", meta: dict[str, Any] | None = None) -> set[str]:
    """Categories flagged when the agent says `text` after a compliant opening."""
    return categories(call(("agent", text), audience=audience, meta=meta))

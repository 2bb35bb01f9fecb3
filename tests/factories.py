"""A small world with named states, built through the public registry API (tests only)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2026-05-20 09:00' in Shanghai time, aware."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def world(**extra: object) -> s.World:
    """One bank, one listed agency with an agreement and a placement, an AI agent and a human collector
    of the agency, official and filed tools, approved templates, one debtor with a contact and a debt."""
    base: dict[str, object] = {
        "institutions": [{"id": "bank", "name": "示例银行"}],
        "agencies": [{"id": "agA", "name": "甲催收", "listed_by": ["bank"]}],
        "agreements": [{"id": "ag1", "institution": "bank", "agency": "agA", "from": date(2026, 1, 1), "to": date(2026, 12, 31)}],
        "collectors": [
            {"id": "bot1", "org": "bank", "kind": "ai_agent", "approved": True},
            {"id": "c1", "org": "agA", "kind": "human", "pre_job_exam": date(2026, 1, 5), "pledge_signed": True,
             "last_training": date(2026, 1, 5)},
        ],
        "tools": [
            {"id": "tel", "institution": "bank", "type": "phone", "official": True},
            {"id": "sms", "institution": "bank", "type": "sms", "official": True},
        ],
        "templates": [
            {"id": "t-voice", "institution": "bank", "audience": "debtor", "channel": "voice", "approved": True,
             "text": "您好，这里是示例银行，请按时还款。"},
            {"id": "t-sms", "institution": "bank", "audience": "debtor", "channel": "sms", "approved": True,
             "text": "【示例银行】您的借款已逾期{overdue_days}天，请通过官方App还款。"},
        ],
        "debtors": [{"id": "d1", "name": "张三", "phone": "13800138000"}],
        "contacts": [{"id": "k1", "debtor": "d1", "relation": "colleague"}],
        "debts": [{"id": "loan1", "institution": "bank", "debtor": "d1", "product": "cash-loan", "overdue_amount": "3200.00"}],
        "placements": [{"debt": "loan1", "agency": "agA", "from": date(2026, 5, 1), "to": date(2026, 6, 30)}],
    }
    base.update(extra)
    return s.World.model_validate(base)


def build(store: Store, w: s.World | None = None, *, when: datetime | None = None, algorithm: str = "sm3") -> None:
    with store.transaction() as session:
        Registry(session, at=when or at("2026-05-01 09:00"), algorithm=algorithm).load_world(w or world())


def voice_call(ident: str, **kw: object) -> AttemptIn:
    """An AI agent's reminder call to debtor d1 about loan1 in the small world; `kw` changes any field."""
    data = {"id": ident, "collector": "bot1", "debt": "loan1", "party": "d1", "channel": "voice",
            "mode": "notification", "tool": "tel", "template": "t-voice"}
    data.update(kw)
    return AttemptIn.model_validate(data)

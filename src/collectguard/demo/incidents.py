"""Demo incidents for `make run` and the console's test world, recorded through the incidents service as of the
world's load time `at`, each step in its own transaction in the order it happened:

- 青禾 (qinghe) found a possible leak (a collector's phone with call records lost) and told the lender 5 hours
  later — on time (art21-breach-24h);
- 恒远 (hengyuan) found an e-mail with a debtor list sent to a wrong address and told the lender 30 hours later —
  late by 6 hours, met, and marked late;
- a major risk of the "anti-collection" kind (art. 24): one "legal consulting" proxy filing a wave of complaints;
  reported to the SRO in writing 40 hours after discovery with its four parts — on time;
- a major risk still open at `at`: a 恒远 collector's visit that turned into a scuffle, discovered 2 hours
  before `at`, which 恒远 told the lender within the hour; the 48 h countdown to the SRO report is running (a
  day and a half later, when the console's tests look, it still is);
- 青禾's pi_breach discovered 6 hours before `at` and not told yet: its 24 h are running.

Everything in it is synthetic.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from collectguard.db.store import Store
from collectguard.demo import organisations as orgs
from collectguard.incidents.schemas import IncidentIn, IncidentNotifiedIn
from collectguard.registry.events import Events

ANTI_COLLECTION_REPORT = {
    "cause": "某某法律咨询服务有限公司以“代理维权”为名，收集债务人信息后以债务人名义批量投诉，要求停息挂账并向债务人收取服务费。",
    "state": "已识别该代理人近十二天内为十二名不同债务人提交的投诉，联系电话与收款账户多有重合、文本出自同一模板；"
             "已逐件直接联系债务人本人核实，暂停与该代理人沟通。",
    "impact": "干扰正常投诉处理；债务人个人信息已为该组织掌握，存在被转卖、诈骗的风险；可能引发集中舆情。",
    "measures": "一是向公安机关报案并提供线索；二是向自律组织通报；三是向涉事债务人发送风险提示；"
                "四是投诉信号规则持续监测同类投诉。",
}


def _steps(at: datetime) -> list[tuple[datetime, str, dict[str, Any]]]:
    """(when, step, payload) in time order."""
    leak = at - timedelta(days=20, hours=3)
    misdirected = at - timedelta(days=12, hours=5)
    wave = at - timedelta(days=9, hours=2)
    scuffle = at - timedelta(hours=2)
    lost_phone = at - timedelta(hours=6)
    steps: list[tuple[datetime, str, dict[str, Any]]] = [
        (leak + timedelta(hours=1), "incident", {
            "id": "inc-qinghe-phone-lost", "institution": orgs.LENDER, "agency": orgs.QINGHE, "kind": "pi_breach",
            "discovered_at": leak, "summary": "催收员工作手机遗失，含通话记录与部分债务人联系方式"}),
        (leak + timedelta(hours=5), "notify", {"incident": "inc-qinghe-phone-lost", "to": "institution"}),
        (misdirected + timedelta(hours=2), "incident", {
            "id": "inc-hengyuan-misdirected-mail", "institution": orgs.LENDER, "agency": orgs.HENGYUAN,
            "kind": "pi_breach", "discovered_at": misdirected, "summary": "一封含债务人名单的邮件误发至外部地址"}),
        (misdirected + timedelta(hours=30), "notify", {"incident": "inc-hengyuan-misdirected-mail",
                                                       "to": "institution"}),
        (wave + timedelta(hours=3), "incident", {
            "id": "mr-anti-collection-wave", "institution": orgs.LENDER, "kind": "major_risk",
            "category": "anti_collection", "discovered_at": wave,
            "summary": "同一“法律咨询”代理人批量代理投诉，要求停息挂账"}),
        (wave + timedelta(hours=40), "notify", {"incident": "mr-anti-collection-wave", "to": "sro",
                                                "report": ANTI_COLLECTION_REPORT}),
        (scuffle + timedelta(minutes=40), "incident", {
            "id": "mr-hengyuan-visit", "institution": orgs.LENDER, "agency": orgs.HENGYUAN, "kind": "major_risk",
            "category": "violent_collection", "discovered_at": scuffle,
            "summary": "上门催收时与债务人家属发生推搡"}),
        (scuffle + timedelta(hours=1), "notify", {"incident": "mr-hengyuan-visit", "to": "institution", "report": {
            "cause": "外访人员与债务人家属言语冲突后发生推搡", "state": "无人受伤，当事外访人员已停岗",
            "impact": "", "measures": "暂停该组外访"}}),
        (lost_phone + timedelta(hours=1), "incident", {
            "id": "inc-qinghe-laptop", "institution": orgs.LENDER, "agency": orgs.QINGHE, "kind": "pi_breach",
            "discovered_at": lost_phone, "summary": "一台坐席笔记本电脑疑似感染木马"}),
    ]
    return sorted(steps, key=lambda s: s[0])


def record(store: Store, at: datetime, *, seed: int = 2026) -> int:
    """Record the demo's incidents through the services as of `at` (the world's load time); returns how many."""
    events = Events(store)
    made = 0
    for when, step, payload in _steps(at):
        if step == "incident":
            events.incident(IncidentIn.model_validate(payload), when)
            made += 1
        else:
            events.incident_notified(IncidentNotifiedIn.model_validate(payload), when)
    return made

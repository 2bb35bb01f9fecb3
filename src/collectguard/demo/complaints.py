"""Demo complaints for `make run` and the console's test world, registered through the complaints service as of the
world's load time `at`, each step in its own transaction in the order it happened:

- about 40 ordinary complaints over the 30 days before `at`, from every channel (phone, e-mail, letter, the public
  web form, regulator referrals), about the lender's own collectors and about 青禾 and 恒远 (the institution handles
  those itself, art. 22); those older than the answer's 15 days resolved with a root cause (a rule id or free text),
  except one left overdue; the recent ones at every stage; a relative complaining for a debtor without an
  authorisation (warned) and one with it; texts composed from distinct parts, so no three of them look alike;
- a cluster of 12 mass-produced complaints (art. 27) over the last 12 days: the same "legal consulting" proxy
  without authorisation for 12 different debtors, mostly the same contact phone, some the same payment account,
  texts from one template with the names, amounts and terms changed, asking for 停息挂账. The anti-collection
  signals flag them for review (complaints/signal_store.py); the compliance officer has confirmed one flag.

Everything in it is synthetic: phones in the unallocated 10x range, generated names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from collectguard.complaints import signal_store
from collectguard.complaints.schemas import (
    ComplaintAssignIn,
    ComplaintChannel,
    ComplaintIn,
    ComplaintResolvedIn,
    ComplaintVerifyIn,
    ProxyIn,
)
from collectguard.complaints.service import verify
from collectguard.db.store import Store
from collectguard.debts.models import Debt
from collectguard.demo import organisations as orgs
from collectguard.privacy.synthetic import synthetic_name, synthetic_phone
from collectguard.registry.events import Events
from collectguard.registry.unit import Units

COMPLIANCE, AUDIT = "lender-compliance-01", "lender-audit-01"
ORDINARY = 40
CLUSTER = 12
PROXY = "某某法律咨询服务有限公司"
CLUSTER_PHONE = "10555550188"
CLUSTER_ACCOUNT = "6200 0000 0000 8888"
CHANNELS = ("phone", "phone", "phone", "email", "letter", "web", "web", "regulator")

# Ordinary complaints: an opening, what happened, what is asked — every text a distinct combination.
OPENINGS = [
    "我是借款人本人，", "本人在贵司有一笔消费贷款，", "我是借款人的家属，替他反映情况：", "我在贵司的借款逾期了几天，",
    "我一直按时还款，", "我上个月已经和客服协商过还款计划，", "我不是借款人，", "我是一名退休教师，",
]
EVENTS = [
    "催收员晚上十点以后还在给我打电话，", "催收员在电话里说话很难听，骂我是老赖，", "有人打电话到我单位，把我欠款的事告诉了同事，",
    "催收短信里说要上门起诉，还说会影响子女上学，", "一天之内接到了七八个催收电话，", "催收员让我把钱转到他个人的微信上，",
    "上门的两个人没有出示任何证件，", "催收员冒充律师，说已经立案了，", "我已经全部还清了，还在被催收，",
    "我的紧急联系人被反复打电话骚扰，", "语音机器人一直重复播放，无法转人工，", "催收信函没有盖公章，信封上写着欠款催收字样，",
]
ASKS = [
    "请核实并给我一个答复。", "希望贵司调查处理，并向我道歉。", "请停止骚扰我的家人。", "请把我的电话号码从催收名单里删除。",
    "请告诉我正规的还款渠道。", "请核实这个人是不是你们的员工。", "要求贵司更正记录。", "希望能协商一个分期方案。",
]
ROOT_CAUSES = ["art9-quiet-hours", "art16-etiquette", "art8-contact-no-disclosure", "art11-truthful",
               "art16-effective-call-cap", "art11-official-channel", "art16-visit-id", "art11-identity",
               "art11-stop-after-repayment", "客户误解，已解释还款政策 a misunderstanding, the policy explained",
               "系统重复外呼，已修复 a dialler fault, fixed"]
RESULTS = ["已核实并致歉，相关人员已培训 verified, apologised, the collector retrained",
           "已核实，催收员已停止作业 verified, the collector stopped",
           "经核实未发现违规，已向投诉人解释 nothing found, explained to the complainant"]
# The mass-produced template (art. 27): names, amounts, terms and days change; the words do not.
TEMPLATE = ("委托人{name}因{reason}，收入锐减，确实无力偿还贵司借款{amount}元。贵司催收人员频繁拨打电话，骚扰委托人的家人和"
            "同事，已严重影响委托人的正常生活。现由我方代理委托人申请停息挂账，本金分{n}期偿还，免除全部罚息和违约金。"
            "请贵司于{d}个工作日内书面答复，否则我方将协助委托人投诉到银保监会并{threat}。")
REASONS = ["疫情失业", "生意失败", "家人重病", "公司裁员", "意外受伤", "疫情期间停工"]
THREATS = ["申请仲裁", "向法院起诉", "向媒体反映", "向人民银行反映"]


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    kind: str = field(compare=False)
    data: Any = field(compare=False)


def _debtors(store: Store, rng: random.Random, count: int) -> list[str]:
    """Distinct debtors of the lender's debts (the console's world has only a few hundred)."""
    with store.read() as session:
        ids = sorted(set(session.execute(select(Debt.debtor_id).where(Debt.institution_id == orgs.LENDER)).scalars()))
    return rng.sample(ids, min(count, len(ids)))


def _when(rng: random.Random, at: datetime, days_before: float) -> datetime:
    day = (at - timedelta(days=days_before)).astimezone(orgs.SHANGHAI).date()
    return datetime.combine(day, time(9), tzinfo=orgs.SHANGHAI) + timedelta(minutes=rng.randrange(0, 9 * 60))


def _ordinary(rng: random.Random, at: datetime, debtors: list[str]) -> list[_Step]:
    combos = rng.sample([(o, e, a) for o in OPENINGS for e in EVENTS for a in ASKS], ORDINARY)
    phones: set[str] = set()
    steps: list[_Step] = []
    overdue = rng.randrange(3, 15)  # received 19 to 28 days ago: past its 15 days
    for i, (opening, event, ask) in enumerate(combos):
        ident = f"demo-cmp-{i + 1:03d}"
        age = 30 - i * 29 / (ORDINARY - 1)  # 30 days ago … 1 day ago
        received = _when(rng, at, age)
        about = rng.choice(["lender", "lender", orgs.QINGHE, orgs.QINGHE, orgs.HENGYUAN])
        collector = f"{about}-c{rng.randint(1, 9):02d}"
        phone = synthetic_phone(rng)
        while phone in phones or phone == CLUSTER_PHONE:
            phone = synthetic_phone(rng)
        phones.add(phone)
        proxy: ProxyIn | None = None
        if i == 7:  # a relative without an authorisation: registered, and warned
            proxy = ProxyIn(name=synthetic_name(rng), authorisation=False)
        elif i == 19:
            proxy = ProxyIn(name=synthetic_name(rng), authorisation=True)
        data = ComplaintIn(
            id=ident, institution=orgs.LENDER, debtor=debtors[i], channel=ComplaintChannel(rng.choice(CHANNELS)),
            agency=None if about == "lender" else about, collector=collector, proxy=proxy,
            complainant_name=synthetic_name(rng), complainant_phone=phone if rng.random() < 0.9 else None,
            text=opening + event + ask + (" 如不处理我将投诉到银保监会。" if i % 9 == 4 else ""))
        steps.append(_Step(received, 0, "register", data))
        verified = received + timedelta(hours=rng.randint(2, 30))
        assigned = verified + timedelta(hours=rng.randint(2, 48))
        resolved = assigned + timedelta(days=rng.randint(2, 9))
        investigator = rng.choice([COMPLIANCE, AUDIT])
        if verified < at:
            steps.append(_Step(verified, 1, "verify", ComplaintVerifyIn(complaint=ident)))
        if assigned < at and (age > 4 or rng.random() < 0.5):
            steps.append(_Step(assigned, 2, "assign", ComplaintAssignIn(complaint=ident, investigator=investigator)))
            if i != overdue and (age > 13 or (resolved < at and rng.random() < 0.6)):  # due by the next day
                resolved = min(resolved, received + timedelta(days=12))
                steps.append(_Step(resolved, 3, "resolve", ComplaintResolvedIn(
                    complaint=ident, root_cause=rng.choice(ROOT_CAUSES), result=rng.choice(RESULTS))))
    return steps


def _cluster(rng: random.Random, at: datetime, debtors: list[str]) -> list[_Step]:
    steps = []
    for i, debtor in enumerate(debtors):
        received = _when(rng, at, 12 - i + rng.random() * 0.5)
        text = TEMPLATE.format(name=synthetic_name(rng), reason=rng.choice(REASONS), amount=rng.randrange(3, 90) * 1000,
                               n=rng.choice([24, 36, 48, 60]), d=rng.choice([3, 5, 7]), threat=rng.choice(THREATS))
        if i % 4 == 3:  # a variation of the wording
            text = text.replace("频繁拨打电话", "每天十几次拨打电话").replace("已严重影响", "已经严重影响了")
        data = ComplaintIn(
            id=f"demo-cmp-m{i + 1:02d}", institution=orgs.LENDER, debtor=debtor,
            channel=ComplaintChannel(rng.choice(["letter", "email", "regulator", "web"])),
            agency=rng.choice([orgs.QINGHE, orgs.HENGYUAN, None]),
            proxy=ProxyIn(name=PROXY, authorisation=False), complainant_name=PROXY,
            complainant_phone=CLUSTER_PHONE if i % 6 != 5 else synthetic_phone(rng),
            complainant_email=f"service{rng.randint(1, 3)}@fawu-demo.example",
            payment_account=CLUSTER_ACCOUNT if i % 3 == 0 else None, text=text)
        steps.append(_Step(received, 0, "register", data))
        if i < 4:
            steps.append(_Step(received + timedelta(hours=20), 1, "verify", ComplaintVerifyIn(complaint=data.id)))
    return steps


def record(store: Store, at: datetime, *, seed: int = 2026) -> int:
    """Record the demo's complaints through the services as of `at` (the world's load time); returns how many."""
    rng = random.Random(f"collectguard-demo:{seed}:complaints")
    debtors = _debtors(store, rng, ORDINARY + CLUSTER)
    if len(debtors) < ORDINARY + CLUSTER:
        return 0
    steps = sorted(_ordinary(rng, at, debtors[:ORDINARY]) + _cluster(rng, at, debtors[ORDINARY:]))
    events = Events(store)
    registered = 0
    for step in steps:
        if step.kind == "register":
            events.complaint(step.data, step.at)
            registered += 1
        elif step.kind == "verify":
            with events.units.write(step.at) as unit:
                verify(unit, step.data, actor=COMPLIANCE)
        elif step.kind == "assign":
            events.complaint_assign(step.data, step.at)
        else:
            events.complaint_resolved(step.data, step.at)
    _review(store, at)
    return registered


def _review(store: Store, at: datetime) -> None:
    """The compliance officer confirms the shared-proxy flag of the latest mass-produced complaint."""
    units = Units(store, "sm3")
    with units.read() as session:
        flags, _ = signal_store.flags(session, orgs.LENDER, status=signal_store.OPEN, signal="shared_proxy")
    if not flags:
        return
    with units.write(at - timedelta(hours=1)) as unit:
        signal_store.review(unit, flags[0].id, signal_store.CONFIRMED,
                            "同一代理机构为多名债务人批量代投诉，文本雷同，要求停息挂账 the same agent for many debtors, one "
                            "template, asking to stop interest", by=COMPLIANCE, institution=orgs.LENDER)

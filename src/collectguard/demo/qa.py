"""Inspected calls for the demo (质检, art. 12(三)): a transcript for each recent connected voice call of the
demo's recorded attempts, inspected by the real inspector and recorded through `qa.storage.record`, the same way
as `collectguard qa scan --record` — so the console's QA page shows findings, their transcripts and the matched
words, and its rate per 1,000 calls.

Most calls are compliant; about one in five carries one or two violations of different kinds (a threat, an
insult, a fake consequence, a private account, a fee, pressure through the contact book, a missing recording
notice…). The people in them are synthetic: surnames only, phone numbers in the unallocated 10x range (stored
masked, as every transcript is). The same attempts always get the same transcripts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.demo.organisations import AGENCY_NAMES, HOTLINE, LENDER, LENDER_NAME
from collectguard.gate.models import AttemptRow
from collectguard.qa import storage
from collectguard.qa.inspector import Inspector
from collectguard.qa.models import Call

CALLS = 600  # connected voice calls that get a transcript, spread evenly over the recorded ones
INSPECTED_AFTER = timedelta(minutes=20)  # a call is transcribed and inspected this long after it was asked for
VIOLATING_SHARE = 0.22
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

# What a collector may say in the body of a lawful call.
LAWFUL = (
    "您这笔借款目前已经逾期，今天来电是提醒您尽快安排还款。",
    "请您通过官方App或者合同约定的还款账户还款，不要转账给任何个人。",
    "如果您近期有困难，可以申请协商还款方案，我们会如实登记。",
    "逾期信息会按规定报送征信，建议您尽早处理。",
    "如有疑问，您可以拨打官方客服热线" + HOTLINE + "咨询。",
    "好的，我这边记录一下您承诺的还款时间。",
)
# A violation per kind (each fires its category with the packaged rules: tests/console/test_qa.py checks it).
VIOLATIONS = {
    "threat": "你再不还钱，我们就派人到你单位去找你，后果自负。",
    "insult": "你这种老赖真不要脸，借钱不还还有理了？",
    "misleading": "你已经上了黑名单，再不还款就要坐牢了。",
    "private-channel": "你直接转到我个人微信上，号码是10012345678，我帮你销账。",
    "extra-fee": "你先交两百块的加急处理费，我帮你把罚息减免了。",
    "third-party-pressure": "你不还的话，我们就挨个给你通讯录里的人打电话。",
    "illegal-funding": "你可以先去别的平台借一笔网贷把这笔还上。",
    "impersonation": "我是法院执行局的，你的案子已经转到我们这边了。",
}
DEBTOR_REPLIES = ("嗯，你说吧。", "我知道了。", "这个月手头比较紧。", "我下周发工资就还。", "好的。", "能不能宽限几天？")
CONTACT_REPLIES = ("好的，我会转告他。", "我跟他不太熟。", "你们找他本人吧。", "嗯，知道了。")


def _org_name(org: str) -> str:
    return AGENCY_NAMES.get(org, LENDER_NAME)


def transcript(attempt_id: str, org: str, party_kind: str, seed: int = 2026) -> tuple[dict[str, Any], list[str]]:
    """A call for one attempt (FORMAT.md input) and the violation kinds put into it, the same for the same id."""
    rng = random.Random(f"collectguard-demo:{seed}:qa:{attempt_id}")
    surname = rng.choice(SURNAMES)
    honorific = rng.choice(("先生", "女士"))
    contact = party_kind == "contact"
    on_behalf = "" if org == LENDER else f"受{LENDER_NAME}委托，"
    violations = rng.sample(sorted(VIOLATIONS), k=rng.choice((1, 1, 2))) if rng.random() < VIOLATING_SHARE else []
    notice = "本次通话全程录音。"
    if violations and rng.random() < 0.25:
        notice, violations = "", [*violations, "recording-notice-missing"]
    if contact:
        opening = f"您好，我是{_org_name(org)}的工作人员，{on_behalf}{notice}请问您认识{surname}{honorific}吗？"
        turns = [("agent", opening), ("contact", "认识，怎么了？"),
                 ("agent", f"我们有重要事项需要联系{surname}{honorific}，麻烦您转告他尽快回电{HOTLINE}。")]
    else:
        opening = f"您好，我是{_org_name(org)}的催收员，{on_behalf}{notice}请问是{surname}{honorific}本人吗？"
        turns = [("agent", opening), ("debtor", "是我。")]
        for line in rng.sample(LAWFUL, k=2):
            turns += [("agent", line), ("debtor", rng.choice(DEBTOR_REPLIES))]
    for kind in violations:
        if kind in VIOLATIONS:
            turns += [("agent", VIOLATIONS[kind]), ("contact" if contact else "debtor",
                                                   rng.choice(CONTACT_REPLIES if contact else DEBTOR_REPLIES))]
    turns.append(("agent", "好的，感谢您的配合，再见。"))
    timed, t = [], 0.0
    for speaker, text in turns:
        length = round(max(1.0, len(text) / 4.5), 1)
        timed.append({"speaker": speaker, "start": round(t, 1), "end": round(t + length, 1), "text": text})
        t += length + round(rng.uniform(0.3, 1.2), 1)
    call = {"id": f"call-{attempt_id}", "audience": "contact" if contact else "debtor", "turns": timed,
            "attempt_id": attempt_id}
    return call, violations


def record_inspections(session: Session, at: datetime, *, seed: int = 2026, calls: int = CALLS) -> int:
    """Inspect and record a transcript for up to `calls` connected voice calls of the demo lender, spread evenly over
    all of them from the most recent (every one when there are fewer; those inspected already are skipped), each 20
    minutes after its attempt and not before `at`; the number recorded. Nothing when no call was recorded.

    A product inspects every call; the demo inspects a sample to keep `collectguard demo` quick (recording one
    call takes a few milliseconds), so its findings per 1,000 connected calls read lower than its transcripts'."""
    every = session.execute(
        select(AttemptRow.id, AttemptRow.party_kind, AttemptRow.collector_id, AttemptRow.at)
        .where(AttemptRow.institution_id == LENDER, AttemptRow.channel == "voice", AttemptRow.connected.is_(True))
        .order_by(AttemptRow.at.desc(), AttemptRow.id)).all()
    rows = every[::-(-len(every) // calls)] if calls > 0 and every else []
    done = set(session.execute(select(storage.QaCallRow.attempt_id)
                               .where(storage.QaCallRow.attempt_id.in_([r.id for r in rows]))).scalars())
    from collectguard.registry import models as m

    orgs = dict(session.execute(select(m.Collector.id, m.Collector.org_id)
                                .where(m.Collector.id.in_({r.collector_id for r in rows}))).all())
    inspector = Inspector.default()
    recorded = 0
    for row in rows:
        if row.id in done:
            continue
        data, _ = transcript(row.id, orgs.get(row.collector_id, LENDER), row.party_kind, seed)
        call = Call.model_validate(data)
        findings = [f.to_output() for f in inspector.inspect(call)]
        storage.record(session, storage.Inspected(call_id=call.id, attempt_id=row.id, findings=findings,
                                                  audience=call.audience, turns=data["turns"]),
                       at=max(at, row.at + INSPECTED_AFTER))
        recorded += 1
    return recorded


def record(session: Session, at: datetime) -> int:
    """The demo's QA: transcripts for the connected voice calls recorded so far (call it after the demo's attempts
    are recorded); the number of calls inspected."""
    return record_inspections(session, at)

"""Speed of the anti-collection signals (反催收信号): `signal_store.examine` on a store holding 10,000 complaints,
beside a baseline measured in the same run.

    python -m bench.complaint_signals [--complaints 10000] [--probes 1000] [--db URL] [--json]

1. A throwaway SQLite database (or --db, migrated, empty) gets one institution, 3,000 debtors and `--complaints`
   complaints registered through `complaints.service.register` (which examines each) over 90 days: composed
   texts of ordinary complaints, ~3 % from a few mass-produced templates with shared phones and proxies.
2. examine: `--probes` stored complaints drawn at random, each examined again in the same transaction (signature
   recomputed from the decrypted text, band keys replaced, candidates by keyed hash and LSH band in the 90-day
   window, `signals.detect`; no new flag since all were raised): per-call wall time, calls/s, p50/p95.
3. baseline: for the same complaints, what any handler touching a complaint does — read the row, decrypt its
   text, and one indexed look-up of the complaints sharing its phone in the window.
4. register: the next 200 complaints registered end to end (with their examine), calls/s.
The ratio examine ÷ baseline says what detection costs over touching the complaint at all. Single process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.common import emit, log, pct_ms, ratio, sqlite_url
from collectguard.complaints import service, signal_store
from collectguard.complaints.models import Complaint
from collectguard.complaints.schemas import ComplaintIn
from collectguard.complaints.signal_models import ComplaintSignal
from collectguard.db.migrate import upgrade
from collectguard.db.store import Store
from collectguard.privacy.crypto import decrypt
from collectguard.registry import schemas as rs
from collectguard.registry.personal import keyring_of
from collectguard.registry.service import Registry
from collectguard.registry.unit import Unit

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
DEBTORS = 3000
OPEN = ["我是借款人本人，", "本人在贵司有一笔消费贷款，", "我是借款人的家属，", "我在贵司的借款逾期了几天，", "我一直按时还款，",
        "我上个月已经和客服协商过还款计划，", "我不是借款人，", "我是一名退休教师，", "我在外地打工，", "我刚刚生完孩子，"]
MID = ["催收员晚上十点以后还在给我打电话，", "催收员在电话里说话很难听，", "有人打电话到我单位，把欠款的事告诉了同事，",
       "催收短信里说要上门起诉，", "一天之内接到了七八个催收电话，", "催收员让我把钱转到他个人的微信上，",
       "上门的两个人没有出示任何证件，", "催收员冒充律师，说已经立案了，", "我已经全部还清了，还在被催收，",
       "我的紧急联系人被反复打电话骚扰，", "语音机器人一直重复播放，", "催收信函没有盖公章，"]
ASK = ["请核实并给我一个答复。", "希望贵司调查处理。", "请停止骚扰我的家人。", "请把我的电话号码删除。",
       "请告诉我正规的还款渠道。", "请核实这个人是不是你们的员工。", "要求贵司更正记录。", "希望能协商一个分期方案。"]
TEMPLATES = [
    "委托人{name}因疫情失业，收入锐减，确实无力偿还贵司借款{amount}元。贵司催收人员频繁拨打电话，骚扰家人和同事，现由我方代理"
    "委托人申请停息挂账，本金分{n}期偿还，免除全部罚息和违约金，否则将投诉到银保监会。",
    "本人{name}在贵司借款{amount}元，因生意失败暂时无法还款，催收人员多次威胁恐吓，严重侵犯本人合法权益。本人要求停止一切催收，"
    "减免利息，分{n}期归还本金，并对催收人员追责，请于七日内答复。",
    "我是{name}的代理人，委托人已无力还款，请贵司立即停止催收并办理停息挂账，分{n}期偿还{amount}元，征信修复由我方负责对接。",
]


# Characters a complainant's own details are made of (places, times, what was said): no two texts share them all.
COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
          "多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由"
          "其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建")


def _text(rng: random.Random) -> str:
    """An ordinary complaint: common phrases, then the complainant's own account (random characters standing for
    it), so two texts of the same phrases stay below the threshold, as real complaints do."""
    own = "".join(rng.choice(COMMON) for _ in range(rng.randint(12, 24)))
    return rng.choice(OPEN) + rng.choice(MID) + own + "。" + rng.choice(MID) + rng.choice(ASK)


def _complaint(rng: random.Random, i: int) -> ComplaintIn:
    debtor = f"d{rng.randrange(DEBTORS):05d}"
    if rng.random() < 0.03:  # mass-produced
        k = rng.randrange(len(TEMPLATES))
        return ComplaintIn.model_validate({
            "id": f"b{i:06d}", "institution": "bank", "debtor": debtor, "channel": "letter",
            "proxy": {"name": f"某某法律咨询{k}", "authorisation": False},
            "complainant_phone": f"1055555{k:04d}", "text": TEMPLATES[k].format(
                name=f"用户{rng.randint(1, 999)}", amount=rng.randrange(1, 90) * 1000, n=rng.choice([12, 24, 36]))})
    return ComplaintIn.model_validate({
        "id": f"b{i:06d}", "institution": "bank", "debtor": debtor, "channel": rng.choice(["phone", "email", "web"]),
        "complainant_phone": f"10{rng.randrange(10**9):09d}", "text": _text(rng)})


def populate(store: Store, n: int, rng: random.Random, batch: int = 500) -> float:
    with store.transaction() as session:
        Registry(session, at=T0 - timedelta(days=1)).load_world(rs.World.model_validate({
            "institutions": [{"id": "bank", "since": "2025-06-01"}],
            "debtors": [{"id": f"d{k:05d}"} for k in range(DEBTORS)]}))
    step = timedelta(days=90) / n
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        with store.transaction() as session:
            for i in range(start, min(n, start + batch)):
                service.register(Unit(session, at=T0 + step * i), _complaint(rng, i))
        log(f"registered {min(n, start + batch)}/{n}")
    return time.perf_counter() - t0


def measure(store: Store, n: int, probes: int, rng: random.Random) -> dict[str, Any]:
    ids = [f"b{i:06d}" for i in rng.sample(range(n), min(probes, n))]
    examine_s, base_s = [], []
    with store.transaction() as session:
        keyring = keyring_of(session)
        for ident in ids:  # baseline: read, decrypt, one indexed look-up in the window
            session.expire_all()
            t0 = time.perf_counter()
            row = session.get(Complaint, ident)
            assert row is not None and row.text is not None
            decrypt(keyring, row.text, context="complaints.text")
            list(session.execute(select(Complaint.id).where(
                Complaint.phone_key == row.phone_key, Complaint.institution_id == row.institution_id,
                Complaint.received_at >= row.received_at - timedelta(days=90),
                Complaint.received_at <= row.received_at)).scalars())
            base_s.append(time.perf_counter() - t0)
        for ident in ids:
            session.expire_all()
            t0 = time.perf_counter()
            row = session.get(Complaint, ident)
            assert row is not None
            signal_store.examine(Unit(session, at=T0 + timedelta(days=91)), row)
            session.flush()
            examine_s.append(time.perf_counter() - t0)
        session.rollback()
    rng2 = random.Random(99)
    t0 = time.perf_counter()
    extra = 200
    with store.transaction() as session:
        for i in range(n, n + extra):
            service.register(Unit(session, at=T0 + timedelta(days=90, seconds=i)), _complaint(rng2, i))
    register_s = time.perf_counter() - t0
    with store.read() as session:
        flags = len(session.execute(select(ComplaintSignal.id)).all())
    return {
        "complaints": n, "probes": len(ids), "flags": flags,
        "examine_per_s": round(len(ids) / sum(examine_s), 1), "examine_p50_ms": pct_ms(examine_s, 50),
        "examine_p95_ms": pct_ms(examine_s, 95), "examine_mean_ms": round(statistics.mean(examine_s) * 1000, 3),
        "baseline_per_s": round(len(ids) / sum(base_s), 1), "baseline_p50_ms": pct_ms(base_s, 50),
        "ratio_examine_over_baseline": ratio(sum(examine_s), sum(base_s)),
        "register_with_examine_per_s": round(extra / register_s, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=1_000)
    parser.add_argument("--db", default=None, help="an empty database URL (default: a throwaway SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    url = args.db or sqlite_url("signals.db")
    upgrade(url)
    store = Store(url)
    rng = random.Random(13)
    try:
        populate_s = populate(store, args.complaints, rng)
        result = {"populate_s": round(populate_s, 1), **measure(store, args.complaints, args.probes, rng)}
    finally:
        store.dispose()
    emit(result, args.json)
    return result


if __name__ == "__main__":
    main()

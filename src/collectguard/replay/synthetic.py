"""合成回放数据 / Synthetic replay data: a deterministic world and an Asterisk `Master.csv` log.

Used by `bench.replay` and the replay tests. Same arguments, same bytes: every choice comes from one
`random.Random(seed)`. The world is the `setup:` of a scenario (../scenarios/FORMAT.md) with
`tools[].number` and `debtors[].phone`; the log has the columns of cdr_csv with a `userfield` of
`debt=…;mode=…;template=…`, and it breaks rules on purpose:

- calls in quiet hours (before 08:00, from 22:00 local time);
- bursts of several notification calls to one debtor in a day (`art15-voice-cap`);
- numbers that are no party (`unknown-party-number`) and no tool, collectors that do not exist;
- calls to settled debts, through an unapproved template, by an agency off the name list.

Phone numbers are fictitious (prefix 100…), never real subscribers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

MAP: dict[str, Any] = {
    "format": "asterisk-cdr",
    "timezone": "Asia/Shanghai",
    "collector": "accountcode",
    "tool": "src",
    "party": "dst",
    "start": "start",
    "connected": {"column": "disposition", "equals": "ANSWERED"},
    "duration_s": "billsec",
    "extra": "userfield",
    "defaults": {"channel": "voice", "mode": "notification", "recording": True},
}

AGENCIES = ("agA", "agB", "agC")  # agC is on no name list
_ZONE = ZoneInfo("Asia/Shanghai")  # the PBX's wall clock (MAP's timezone)
_TOOL_OF = {"bank": "4008001000", "agA": "02150001111", "agB": "02150002222", "agC": "02150003333"}


@dataclass(frozen=True)
class Synthetic:
    """The world (`setup` mapping) plus what the log generator needs to know about it."""

    setup: dict[str, Any]
    debtors: tuple[tuple[str, str, str, str], ...]  # (debtor id, phone, debt id, org that collects)
    collectors_by_org: dict[str, tuple[str, ...]]


def phone_of(i: int) -> str:
    return f"100{i:08d}"


def world(n_debtors: int = 2_000, *, seed: int = 14, collectors_per_org: int = 10) -> Synthetic:
    """A world of one bank, three agencies (agC unlisted), in-house staff, and `n_debtors` debtors."""
    rng = random.Random(seed)
    setup: dict[str, Any] = {
        "institutions": [{"id": "bank", "name": "合成消费金融公司"}],
        "agencies": [
            {"id": "agA", "name": "甲催收", "listed_by": ["bank"]},
            {"id": "agB", "name": "乙催收", "listed_by": ["bank"]},
            {"id": "agC", "name": "丙催收", "listed_by": []},
        ],
        "agreements": [
            {"id": f"agr-{a}", "institution": "bank", "agency": a, "from": date(2026, 1, 1), "to": date(2026, 12, 31)}
            for a in AGENCIES
        ],
        "collectors": [],
        "tools": [],
        "templates": [
            {"id": "t1", "institution": "bank", "audience": "debtor", "channel": "voice", "approved": True,
             "text": "您好，这里是合成消费金融公司。您的借款已逾期，请通过官方App还款。本通话将被录音。"},
            {"id": "t2", "institution": "bank", "audience": "debtor", "channel": "voice", "approved": False,
             "text": "您好，您的借款已逾期，请尽快还款。本通话将被录音。"},
        ],
        "debtors": [],
        "debts": [],
        "placements": [],
    }
    collectors_by_org: dict[str, tuple[str, ...]] = {}
    for org in ("bank", *AGENCIES):
        ids = []
        for k in range(collectors_per_org):
            cid = f"{org}-c{k:02d}"
            ids.append(cid)
            if org == "bank" and k == 0:
                setup["collectors"].append({"id": cid, "org": org, "kind": "ai_agent", "approved": True})
                continue
            stale = rng.random() < 0.1  # training older than a year: art6
            setup["collectors"].append({
                "id": cid, "org": org, "kind": "human", "pre_job_exam": date(2025, 1, 5), "pledge_signed": True,
                "last_training": date(2025, 3, 1) if stale else date(2026, 2, 1),
            })
        collectors_by_org[org] = tuple(ids)
        tool: dict[str, Any] = {"id": f"tel-{org}", "institution": "bank", "type": "phone", "number": _TOOL_OF[org]}
        if org == "bank":
            tool["official"] = True
        else:
            tool.update(filed=True, org=org)
        setup["tools"].append(tool)
    debtors = []
    for i in range(1, n_debtors + 1):
        did, debt = f"d{i:06d}", f"L-{i:06d}"
        setup["debtors"].append({"id": did, "name": f"债务人{i}", "phone": phone_of(i)})
        row: dict[str, Any] = {"id": debt, "institution": "bank", "debtor": did, "product": "cash-loan",
                               "overdue_amount": 500 + rng.randrange(20_000), "overdue_since": date(2026, 3, 1)}
        if rng.random() < 0.03:
            row["status"] = "settled"
        setup["debts"].append(row)
        r = rng.random()
        org = "bank" if r < 0.25 else AGENCIES[0] if r < 0.6 else AGENCIES[1] if r < 0.92 else AGENCIES[2]
        if org != "bank":
            setup["placements"].append({"debt": debt, "agency": org, "from": date(2026, 1, 1), "to": date(2026, 12, 31)})
        debtors.append((did, phone_of(i), debt, org))
    return Synthetic(setup=setup, debtors=tuple(debtors), collectors_by_org=collectors_by_org)


def world_yaml(syn: Synthetic) -> str:
    return yaml.safe_dump({"setup": syn.setup}, allow_unicode=True, sort_keys=False)


def _hour(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.04:
        return rng.choice((6, 7, 22, 23))  # quiet hours
    return 8 + rng.randrange(14)


def rows(syn: Synthetic, n_calls: int, *, days: int = 30, start: date = date(2026, 5, 1),
         seed: int = 14) -> Iterator[str]:
    """`n_calls` lines of Master.csv (no header, `\\n`-terminated), day by day, each day in start order."""
    rng = random.Random(seed * 7919 + n_calls)
    per_day = [n_calls // days + (1 if d < n_calls % days else 0) for d in range(days)]
    uid = 1_779_000_000
    line_no = 0
    for d, count in enumerate(per_day):
        day = start + timedelta(days=d)
        calls: list[tuple[datetime, str]] = []
        made = 0
        while made < count:
            did, phone, debt, org = syn.debtors[rng.randrange(len(syn.debtors))]
            burst = 1 if rng.random() < 0.8 else rng.randint(2, 6)  # several calls a day: caps
            hour = _hour(rng)
            base = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                            tzinfo=_ZONE)
            collectors = syn.collectors_by_org[org]
            collector = collectors[rng.randrange(len(collectors))]
            for b in range(min(burst, count - made)):
                t = base + timedelta(minutes=17 * b + rng.randrange(10))
                party, tool, who, extra_debt = phone, _TOOL_OF[org], collector, debt
                r = rng.random()
                if r < 0.01:
                    party = f"199{rng.randrange(10**8):08d}"  # no party
                elif r < 0.015:
                    tool = "13900000000"  # no tool
                elif r < 0.018:
                    who = "ghost"  # unknown collector
                if rng.random() < 0.2:
                    party = "+86" + party if rng.random() < 0.5 else "0086" + party
                answered = rng.random() < 0.45
                billsec = rng.choice((2, 4, 30, 95, 240)) if answered else 0
                template = "t2" if rng.random() < 0.02 else "t1"
                mode = "interactive" if rng.random() < 0.3 else "notification"
                calls.append((t, _line(who, tool, party, t, answered, billsec, uid + line_no,
                                       f"debt={extra_debt};mode={mode};template={template}")))
                line_no += 1
                made += 1
        calls.sort(key=lambda c: c[0])
        for _, text in calls:
            yield text


def _line(collector: str, tool: str, party: str, t: datetime, answered: bool, billsec: int, uid: int,
          userfield: str) -> str:
    ring = 3 + (uid % 20)
    ans = t + timedelta(seconds=ring)
    end = ans + timedelta(seconds=billsec)
    fmt = "%Y-%m-%d %H:%M:%S"
    return (f'"{collector}","{tool}","{party}","from-internal","""催收"" <{tool}>","SIP/trunk-0001",'
            f'"SIP/carrier-0002","Dial","SIP/carrier/{party},60","{t.strftime(fmt)}",'
            f'"{ans.strftime(fmt) if answered else ""}","{end.strftime(fmt)}","{ring + billsec}","{billsec}",'
            f'"{"ANSWERED" if answered else "NO ANSWER"}","DOCUMENTATION","{uid}.{uid % 1000}","{userfield}"\n')


def write(directory: Path, *, n_calls: int, n_debtors: int = 2_000, days: int = 30,
          seed: int = 14) -> tuple[Path, Path, Path]:
    """Write world.yaml, map.yaml and Master.csv under `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    syn = world(n_debtors, seed=seed)
    w, m, log = directory / "world.yaml", directory / "map.yaml", directory / "Master.csv"
    w.write_text(world_yaml(syn), encoding="utf-8")
    m.write_text(yaml.safe_dump(MAP, sort_keys=False), encoding="utf-8")
    with log.open("w", encoding="utf-8", newline="") as fh:
        buf: list[str] = []
        for text in rows(syn, n_calls, days=days, seed=seed):
            buf.append(text)
            if len(buf) >= 10_000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
    return w, m, log

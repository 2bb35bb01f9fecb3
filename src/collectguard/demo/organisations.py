"""The demo's organisations: one lender, its name list of agencies, their collectors and tools.

All names are fictional. The lender `lender` (云岚消费金融有限公司) entrusts two listed agencies under
written one-year agreements in force around the day the world is built for; 青禾 may subcontract and has an
approved subcontractor, 启明.

Every date of the world is relative to that day (`start`, by default the day it is built: `build_day`),
so a world built today has placements, agreements and trainings in force today and for the next 30 days;
the same seed and day always give the same world.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LENDER = "lender"
LENDER_NAME = "云岚消费金融有限公司"
LENDER_SHORT = "云岚消费金融"
HOTLINE = "400-000-0000"

QINGHE = "qinghe"  # entrusted, may subcontract
HENGYUAN = "hengyuan"  # entrusted, no subcontracting
QIMING = "qiming"  # subcontractor of 青禾, approved by the lender
ENTRUSTED_AGENCIES = (QINGHE, HENGYUAN)

AGENCY_NAMES = {
    QINGHE: "青禾信用管理有限公司",
    HENGYUAN: "衡远资产管理有限公司",
    QIMING: "启明商务咨询有限公司",
}

# Human collectors per organisation, and the lender's approved AI voice agents.
HUMAN_TEAMS = {LENDER: 10, QINGHE: 12, HENGYUAN: 12, QIMING: 6}
AI_AGENTS = 10

# A few humans the gate should refuse (art. 6(二)): stale training or no confidentiality pledge.
STALE_TRAINING = {"lender-c10": 420, "qinghe-c12": 380, "hengyuan-c12": 500}  # days before `start`
NO_PLEDGE = {"qinghe-c11"}

# Each tool type the lender runs itself (official) and each agency files with the lender.
LENDER_TOOLS = (("phone", 3), ("sms", 2), ("email", 1), ("im", 1), ("letterhead", 1))
AGENCY_TOOLS = {
    QINGHE: (("phone", 2), ("sms", 1), ("email", 1), ("im", 1), ("letterhead", 1)),
    HENGYUAN: (("phone", 2), ("sms", 1), ("email", 1), ("im", 1), ("letterhead", 1)),
    QIMING: (("phone", 1), ("sms", 1)),
}
RETIRED_TOOL = "hengyuan-phone-old"


SHANGHAI = ZoneInfo("Asia/Shanghai")
# The agreements run a year: from 120 days before the world's day to 244 days after it (for a world dated
# 1 May, the calendar year).
AGREEMENT_BEFORE, AGREEMENT_AFTER = timedelta(days=120), timedelta(days=244)


def build_day(now: datetime | None = None) -> date:
    """The day a demo world is built for: today in Beijing (or the day of `now`)."""
    return (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()


def agreement_period(start: date) -> tuple[date, date]:
    """The year the agencies' agreements (and the tools they file) are in force, around `start`."""
    return start - AGREEMENT_BEFORE, start + AGREEMENT_AFTER


# The lender has collected for a while before the world's day: its yearly self-inspection runs from then.
COLLECTING_SINCE = timedelta(days=400)


def institutions(start: date) -> list[dict[str, Any]]:
    return [{"id": LENDER, "name": LENDER_NAME, "since": start - COLLECTING_SINCE}]


def agencies() -> list[dict[str, Any]]:
    return [
        {"id": QINGHE, "name": AGENCY_NAMES[QINGHE], "listed_by": [LENDER]},
        {"id": HENGYUAN, "name": AGENCY_NAMES[HENGYUAN], "listed_by": [LENDER]},
        {"id": QIMING, "name": AGENCY_NAMES[QIMING], "parent": QINGHE, "approved_by": [LENDER]},
    ]


def agreements(start: date) -> list[dict[str, Any]]:
    first, last = agreement_period(start)
    return [
        {"id": f"agr-{start.year}-{QINGHE}", "institution": LENDER, "agency": QINGHE, "from": first, "to": last,
         "subcontracting": True},
        {"id": f"agr-{start.year}-{HENGYUAN}", "institution": LENDER, "agency": HENGYUAN, "from": first, "to": last},
    ]


def _human(rng: random.Random, ident: str, org: str, start: date) -> dict[str, Any]:
    exam = start - timedelta(days=rng.randint(90, 1200))
    if ident in STALE_TRAINING:
        trained = start - timedelta(days=STALE_TRAINING[ident])
        exam = min(exam, trained)
    else:
        trained = max(exam, start - timedelta(days=rng.randint(1, 300)))
    return {
        "id": ident,
        "org": org,
        "kind": "human",
        "pre_job_exam": exam,
        "pledge_signed": ident not in NO_PLEDGE,
        "last_training": trained,
    }


def collectors(rng: random.Random, start: date) -> list[dict[str, Any]]:
    rows = [
        _human(rng, f"{org}-c{n:02d}", org, start)
        for org, size in HUMAN_TEAMS.items()
        for n in range(1, size + 1)
    ]
    rows += [{"id": f"{LENDER}-ai-{n:02d}", "org": LENDER, "kind": "ai_agent", "approved": True}
             for n in range(1, AI_AGENTS + 1)]
    return rows


def tools(start: date) -> list[dict[str, Any]]:
    first, _ = agreement_period(start)
    rows: list[dict[str, Any]] = [
        {"id": f"{LENDER}-{kind}-{n}", "institution": LENDER, "type": kind, "official": True}
        for kind, count in LENDER_TOOLS
        for n in range(1, count + 1)
    ]
    for org, kit in AGENCY_TOOLS.items():
        rows += [
            {"id": f"{org}-{kind}-{n}", "institution": LENDER, "type": kind, "filed": True, "org": org,
             "active_from": first}
            for kind, count in kit
            for n in range(1, count + 1)
        ]
    rows.append({"id": RETIRED_TOOL, "institution": LENDER, "type": "phone", "filed": True, "org": HENGYUAN,
                 "active_from": first - timedelta(days=365), "active_to": start - timedelta(days=30)})
    return rows

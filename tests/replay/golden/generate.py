"""Writes the golden logs of tests/replay/golden/<name>/, each with the summary it is meant to give (what the
rulebook should say, written by hand, not taken from the replay): `python tests/replay/golden/generate.py`.
The shared-example folder is a copy of shared/replay/examples/ and is not written here."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent

WORLD = """setup:
  institutions:
  - {id: bank, name: 示例消费金融公司}
  agencies:
  - {id: agA, name: 甲催收服务公司, listed_by: [bank]}
  - {id: agB, name: 乙催收服务公司, listed_by: []}
  agreements:
  - {id: ag1, institution: bank, agency: agA, from: 2026-01-01, to: 2026-12-31}
  - {id: ag2, institution: bank, agency: agB, from: 2026-01-01, to: 2026-12-31}
  collectors:
  - {id: bot1, org: bank, kind: ai_agent, approved: true}
  - {id: h1, org: bank, kind: human, pre_job_exam: 2025-01-05, pledge_signed: true, last_training: 2026-01-10}
  - {id: a1, org: agA, kind: human, pre_job_exam: 2025-01-05, pledge_signed: true, last_training: 2026-02-01}
  - {id: a2, org: agA, kind: human, pre_job_exam: 2025-01-05, pledge_signed: true, last_training: 2025-03-01}
  - {id: b1, org: agB, kind: human, pre_job_exam: 2025-01-05, pledge_signed: true, last_training: 2026-02-01}
  tools:
  - {id: tel-bank, institution: bank, type: phone, number: '4008001000', official: true}
  - {id: tel-agA, institution: bank, type: phone, number: '021-5000-1111', filed: true, org: agA}
  - {id: tel-agB, institution: bank, type: phone, number: '02150002222', filed: true, org: agB}
  - {id: tel-raw, institution: bank, type: phone, number: '13100001234'}
  templates:
  - {id: t1, institution: bank, audience: debtor, channel: voice, approved: true, text: 您好，这里是示例消费金融公司。您的借款已逾期，请通过官方App还款。本通话将被录音。}
  - {id: t2, institution: bank, audience: debtor, channel: voice, approved: false, text: 您好，您的借款已逾期，请尽快还款。本通话将被录音。}
  debtors:
  - {id: d1, name: 债务人一, phone: '13800000001'}
  - {id: d2, name: 债务人二, phone: '+86 138 0000 0002'}
  - {id: d3, name: 债务人三, phone: '13800000003'}
  - {id: d4, name: 债务人四, phone: '13800000004'}
  - {id: d5, name: 债务人五, phone: '13800000005'}
  contacts:
  - {id: c1, debtor: d1, relation: 朋友, name: 联系人一, phone: '13900000001'}
  debts:
  - {id: L1, institution: bank, debtor: d1, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01}
  - {id: L2, institution: bank, debtor: d2, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01}
  - {id: L3a, institution: bank, debtor: d3, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01}
  - {id: L3b, institution: bank, debtor: d3, product: card, overdue_amount: 2000, overdue_since: 2026-03-01}
  - {id: L4, institution: bank, debtor: d4, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01}
  - {id: L5, institution: bank, debtor: d5, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01, status: settled}
  placements:
  - {debt: L1, agency: agA, from: 2026-01-01, to: 2026-12-31}
  - {debt: L2, agency: agA, from: 2026-01-01, to: 2026-12-31}
  - {debt: L4, agency: agB, from: 2026-01-01, to: 2026-12-31}
"""

MAP = """format: asterisk-cdr
timezone: Asia/Shanghai
collector: accountcode
tool: src
party: dst
start: start
connected: {column: disposition, equals: ANSWERED}
duration_s: billsec
extra: userfield
defaults: {channel: voice, mode: notification, recording: true}
"""

TOOLS = {"bank": "4008001000", "agA": "02150001111", "agB": "02150002222", "raw": "13100001234"}
PH = {"d1": "13800000001", "d2": "13800000002", "d3": "13800000003", "d4": "13800000004", "d5": "13800000005",
      "c1": "13900000001"}


def q(v):
    return '"' + str(v).replace('"', '""') + '"'


def cdr(uid, coll, tool, party, start, answered=True, billsec=30, extra="mode=notification;template=t1", end=None):
    tool = TOOLS.get(tool, tool)
    party = PH.get(party, party)
    ans = start if answered else ""
    cols = [coll, tool, party, "from-internal", f'"催收" <{tool}>', "SIP/trunk-0001", "SIP/carrier-0002", "Dial",
            f"SIP/carrier/{party},60", start, ans, end or start, str(billsec + 5), str(billsec if answered else 0),
            "ANSWERED" if answered else "NO ANSWER", "DOCUMENTATION", f"u{uid}", extra]
    return ",".join(q(c) for c in cols)


D = "2026-05-18"
NOTE = "mode=notification;template=t1"
INT = "mode=interactive"
cases = {}


def case(name, rows, expect, *, world=WORLD, mp=MAP, log_name="log.csv", raw_log=None):
    cases[name] = (world, mp, raw_log if raw_log is not None else "\n".join(rows) + "\n", expect, log_name)


case("quiet-hours", [cdr(1, "h1", "bank", "d1", f"{D} 22:30:00", extra=INT),
                     cdr(2, "h1", "bank", "d1", f"{D} 07:59:59", extra=INT),
                     cdr(3, "h1", "bank", "d1", f"{D} 08:00:00", extra=INT)],
     {"calls": 3, "judged": 3, "unmatched": 0, "denied": 2, "by_rule": {"art9-quiet-hours": 2},
      "violation_lines": [1, 2]})
case("voice-cap", [cdr(i, "bot1", "bank", "d2", f"{D} {10 + i}:00:00") for i in range(1, 6)],
     {"calls": 5, "judged": 5, "denied": 2, "by_rule": {"art15-voice-cap": 2}, "violation_lines": [4, 5]})
case("voice-cap-unanswered-not-counted",
     [cdr(i, "bot1", "bank", "d2", f"{D} {9 + i}:00:00", answered=False) for i in range(1, 4)]
     + [cdr(i, "bot1", "bank", "d2", f"{D} {9 + i}:00:00") for i in range(4, 8)],
     {"calls": 7, "judged": 7, "denied": 1, "by_rule": {"art15-voice-cap": 1}, "violation_lines": [7]})
case("effective-call-cap", [cdr(i, "h1", "bank", "d2", f"{D} {10 + i}:00:00", extra=INT) for i in range(1, 5)],
     {"calls": 4, "judged": 4, "denied": 1, "by_rule": {"art16-effective-call-cap": 1}, "violation_lines": [4]})
case("effective-short-not-counted",
     [cdr(i, "h1", "bank", "d2", f"{D} {9 + i}:00:00", billsec=5, extra=INT) for i in range(1, 4)]
     + [cdr(i, "h1", "bank", "d2", f"{D} {9 + i}:00:00", billsec=6, extra=INT) for i in range(4, 8)],
     {"calls": 7, "judged": 7, "denied": 1, "by_rule": {"art16-effective-call-cap": 1}, "violation_lines": [7]})
case("contact-precondition", [cdr(1, "h1", "bank", "c1", f"{D} 10:00:00", extra="mode=interactive;purpose=locate")],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art8-contact-precondition": 1}})
case("agency-listed", [cdr(1, "b1", "agB", "d4", f"{D} 10:00:00", extra=INT)],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art17-agency-listed": 1},
      "by_agency": {"agB": {"judged": 1, "denied": 1}}})
case("collector-qualified", [cdr(1, "a2", "agA", "d1", f"{D} 10:00:00", extra=INT),
                             cdr(2, "a1", "agA", "d1", f"{D} 11:00:00", extra=INT)],
     {"calls": 2, "judged": 2, "denied": 1, "by_rule": {"art6-collector-qualified": 1},
      "by_collector": {"a1": {"judged": 1, "denied": 0}, "a2": {"judged": 1, "denied": 1}}})
case("template-approved", [cdr(1, "bot1", "bank", "d2", f"{D} 10:00:00", extra="mode=notification;template=t2"),
                           cdr(2, "bot1", "bank", "d2", f"{D} 11:00:00", extra="mode=notification;template=t1")],
     {"calls": 2, "judged": 2, "denied": 1, "by_rule": {"art15-template-approved": 1}, "violation_lines": [1]})
case("stop-after-repayment", [cdr(1, "h1", "bank", "d5", f"{D} 10:00:00", extra="mode=interactive;debt=L5")],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art11-stop-after-repayment": 1}})
case("single-agency", [cdr(1, "a1", "agA", "d4", f"{D} 10:00:00", extra="mode=interactive;debt=L4")],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art17-single-agency": 1}})
case("registered-tool", [cdr(1, "h1", "raw", "d2", f"{D} 10:00:00", extra=INT)],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art10-registered-tool": 1}})
case("tool-of-another-agency", [cdr(1, "a1", "agB", "d1", f"{D} 10:00:00", extra=INT),
                                cdr(2, "a1", "agA", "d1", f"{D} 11:00:00", extra=INT)],
     {"calls": 2, "judged": 2, "denied": 1, "by_rule": {"art10-registered-tool": 1}, "violation_lines": [1]})
# a bot reading the debtor's notification template to a contact, before the debtor was ever unreachable
case("contact-notification", [cdr(1, "bot1", "bank", "c1", f"{D} 10:00:00")],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art7-collection-target": 1, "art8-contact-no-disclosure": 1,
                                                        "art8-contact-precondition": 1}})
case("recording", [cdr(1, "h1", "bank", "d2", f"{D} 10:00:00", extra="mode=interactive;recording=false")],
     {"calls": 1, "judged": 1, "denied": 1, "by_rule": {"art16-recording": 1}})
case("unmatched-reasons", [
    cdr(1, "nobody", "bank", "d2", f"{D} 10:00:00", extra=INT),
    cdr(2, "h1", "4008005555", "d2", f"{D} 10:00:00", extra=INT),
    cdr(3, "h1", "bank", "13700000000", f"{D} 10:00:00", extra=INT),
    cdr(4, "h1", "bank", "d5", f"{D} 10:00:00", extra=INT),
    cdr(5, "h1", "bank", "d3", f"{D} 10:00:00", extra=INT),
    cdr(6, "h1", "bank", "d2", f"{D} 10:00:00", extra="mode=interactive;debt=NOPE"),
    cdr(7, "h1", "bank", "d2", f"{D} 10:00:00", extra=INT)],
     {"calls": 7, "judged": 1, "unmatched": 6, "denied": 0, "by_rule": {},
      "unmatched_reasons": {"unknown-collector": 1, "unknown-tool-number": 1, "unknown-party-number": 1,
                            "no-open-debt": 1, "several-open-debts": 1, "unknown-debt": 1}})
case("several-debts-named", [cdr(1, "h1", "bank", "d3", f"{D} 10:00:00", extra="mode=interactive;debt=L3b")],
     {"calls": 1, "judged": 1, "unmatched": 0, "denied": 0})
good = cdr(1, "h1", "bank", "d2", f"{D} 10:00:00", extra=INT)
case("malformed-rows", [good,
                        '"h1","4008001000","13800000002","x"',
                        cdr(3, "h1", "bank", "d2", "2026-13-45 99:00:00", extra=INT),
                        cdr(4, "h1", "bank", "d2", f"{D} 23:00:00", extra=INT)],
     {"calls": 2, "judged": 2, "denied": 1, "by_rule": {"art9-quiet-hours": 1}, "error_lines": [2, 3],
      "violation_lines": [4]})
case("number-normalisation", [cdr(1, "h1", "bank", "+8613800000002", f"{D} 10:00:00", extra=INT),
                              cdr(2, "h1", "bank", "86-138-0000-0002", f"{D} 10:01:00", extra=INT),
                              cdr(3, "h1", "bank", "0086 138 0000 0002", f"{D} 10:02:00", extra=INT),
                              cdr(4, "h1", "bank", "138-0000-0002", f"{D} 10:03:00", extra=INT),
                              cdr(5, "a1", "021-5000-1111", "(138) 0000 0001", f"{D} 10:04:00", extra=INT)],
     {"calls": 5, "judged": 5, "unmatched": 0, "denied": 1, "by_rule": {"art16-effective-call-cap": 1},
      "violation_lines": [4]})
case("same-second", [cdr(i, "bot1", "bank", "d2", f"{D} 10:00:00") for i in range(1, 6)],
     {"calls": 5, "judged": 5, "denied": 2, "by_rule": {"art15-voice-cap": 2}, "violation_lines": [4, 5]})
case("same-second-file-order", [cdr(1, "bot1", "bank", "d2", f"{D} 12:00:00"),
                                cdr(2, "bot1", "bank", "d2", f"{D} 11:00:00"),
                                cdr(3, "bot1", "bank", "d2", f"{D} 12:00:00"),
                                cdr(4, "bot1", "bank", "d2", f"{D} 12:00:00")],
     {"calls": 4, "judged": 4, "denied": 1, "by_rule": {"art15-voice-cap": 1}, "violation_lines": [4]})
case("across-midnight", [cdr(1, "bot1", "bank", "d2", f"{D} 19:00:00"),
                         cdr(2, "bot1", "bank", "d2", f"{D} 20:00:00"),
                         cdr(3, "bot1", "bank", "d2", f"{D} 21:59:59"),
                         cdr(4, "bot1", "bank", "d2", f"{D} 22:00:00", answered=False),
                         cdr(5, "bot1", "bank", "d2", "2026-05-18 23:59:59", answered=False),
                         cdr(6, "bot1", "bank", "d2", "2026-05-19 00:00:00", answered=False),
                         cdr(7, "bot1", "bank", "d2", "2026-05-19 08:00:00")],
     # 22:00 and 23:59:59 come after the day's 3 connected calls: the cap denies them too (unanswered or not)
     {"calls": 7, "judged": 7, "denied": 3, "by_rule": {"art15-voice-cap": 2, "art9-quiet-hours": 3},
      "violation_lines": [4, 5, 6],
      "by_day": {"2026-05-18": {"judged": 5, "denied": 2}, "2026-05-19": {"judged": 2, "denied": 1}}})
case("log-timezone-utc", [cdr(1, "h1", "bank", "d2", "2026-05-18 01:00:00", extra=INT),
                          cdr(2, "h1", "bank", "d2", "2026-05-18 15:00:00", extra=INT)],
     {"calls": 2, "judged": 2, "denied": 1, "by_rule": {"art9-quiet-hours": 1}, "violation_lines": [2]},
     mp=MAP.replace("Asia/Shanghai", "UTC"))
case("by-agency-in-house", [cdr(1, "h1", "bank", "d2", f"{D} 10:00:00", extra=INT),
                            cdr(2, "bot1", "bank", "d2", f"{D} 10:30:00"),
                            cdr(3, "a1", "agA", "d1", f"{D} 11:00:00", extra=INT),
                            cdr(4, "b1", "agB", "d4", f"{D} 23:00:00", extra=INT)],
     {"calls": 4, "judged": 4, "denied": 1, "by_rule": {"art17-agency-listed": 1, "art9-quiet-hours": 1},
      "by_agency": {"agA": {"judged": 1, "denied": 0}, "agB": {"judged": 1, "denied": 1},
                    "in-house": {"judged": 2, "denied": 0}}})
CSV_MAP = """format: csv
timezone: Asia/Shanghai
collector: agent
tool: caller
party: callee
start: started_at
connected: {column: result, equals: [answered, ok]}
duration_s: talk_s
extra: tags
uniqueid: call_id
defaults: {channel: voice, mode: interactive, recording: true}
"""
case("csv-format", [], {"calls": 5, "judged": 5, "denied": 2,
                        "by_rule": {"art16-effective-call-cap": 2, "art9-quiet-hours": 1}, "violation_lines": [5, 6]},
     mp=CSV_MAP, raw_log="call_id,agent,caller,callee,started_at,result,talk_s,tags\n"
     "k1,h1,400-800-1000,+86 13800000002,2026-05-18T10:00:00,answered,30,\n"
     "k2,h1,4008001000,13800000002,2026-05-18 11:00:00,ok,40,\n"
     "k3,h1,4008001000,13800000002,2026-05-18 12:00:00,answered,50,\n"
     "k4,h1,4008001000,13800000002,2026-05-18 13:00:00,answered,50,\n"
     "k5,h1,4008001000,13800000002,2026-05-18 22:10:00+08:00,busy,0,mode=interactive\n")
VICI_MAP = """format: vicidial
timezone: Asia/Shanghai
tool_default: '4008001000'
defaults: {channel: voice, mode: interactive, recording: true}
"""
VH = "uniqueid,lead_id,list_id,campaign_id,call_date,start_epoch,end_epoch,length_in_sec,status,phone_code,phone_number,user,comments,processed,user_group,term_reason,alt_dial\n"


def vrow(uid, t, status, length, phone, user, comments=""):
    return f"{uid},1,100,CAMP1,{t},,,{length},{status},86,{phone},{user},{comments},N,G1,CALLER,MAIN\n"


case("vicidial-format", [], {"calls": 8, "judged": 7, "unmatched": 1, "denied": 2,
                             "by_rule": {"art16-effective-call-cap": 2, "art9-quiet-hours": 1},
                             "unmatched_reasons": {"unknown-collector": 1}, "violation_lines": [7, 9]},
     mp=VICI_MAP, raw_log=VH + vrow("v1", "2026-05-18 10:00:00", "SALE", 60, "13800000002", "h1")
     + vrow("v2", "2026-05-18 10:10:00", "NA", 0, "13800000002", "h1")
     + vrow("v3", "2026-05-18 10:20:00", "A", 60, "13800000002", "h1")
     + vrow("v4", "2026-05-18 10:30:00", "PTP", 60, "13800000002", "h1")
     + vrow("v5", "2026-05-18 10:40:00", "SALE", 60, "13800000002", "h1")
     + vrow("v6", "2026-05-18 23:40:00", "DROP", 0, "13800000002", "h1")
     + vrow("v7", "2026-05-18 10:50:00", "SALE", 60, "13800000002", "vdad")
     + vrow("v8", "2026-05-18 11:00:00", "B", 0, "138-0000-0002", "h1"))
# vicidial: A is an answering machine (not connected); v1, v4, v5 effective → v6 (23:40) and v8 come after the cap.

# == a second world, for what WORLD lacks: agreements out of term, subcontractors, a refused contact, another
# institution's tool, an SMS tool, a letterhead and letter templates. WORLD2 is WORLD plus these rows (WORLD's own rows
# keep their meaning). A world file has no `holds:` (registry World has none), so `hold-active` has no golden case.
def _add(world, section, rows):
    head = f"  {section}:\n"
    assert head in world, section
    return world.replace(head, head + "".join(f"  - {r}\n" for r in rows), 1)


WORLD2 = WORLD
WORLD2 = _add(WORLD2, "institutions", ["{id: bank2, name: 另一家银行}"])
WORLD2 = _add(WORLD2, "agencies", [
    "{id: agC, name: 丙催收服务公司, listed_by: [bank]}",
    "{id: agD, name: 丁催收服务公司, listed_by: [bank]}",
    "{id: agP, name: 戊催收服务公司, listed_by: [bank]}",
    "{id: agQ, name: 己催收服务公司, listed_by: [bank]}",
    "{id: agS1, name: 转委托一, listed_by: [bank], parent: agP, approved_by: [bank]}",
    "{id: agS2, name: 转委托二, listed_by: [bank], parent: agQ, approved_by: []}",
    "{id: agS3, name: 转委托三, listed_by: [bank], parent: agQ, approved_by: [bank]}",
    "{id: agS4, name: 转委托四, listed_by: [bank], parent: agS3, approved_by: [bank]}"])
WORLD2 = _add(WORLD2, "agreements", [
    "{id: ag3, institution: bank, agency: agC, from: 2026-01-01, to: 2026-04-30}",
    "{id: ag4, institution: bank, agency: agD, from: 2026-06-01, to: 2026-12-31}",
    "{id: ag5, institution: bank, agency: agP, from: 2026-01-01, to: 2026-12-31}",
    "{id: ag6, institution: bank, agency: agQ, from: 2026-01-01, to: 2026-12-31, subcontracting: true}"])
_QUAL = "kind: human, pre_job_exam: 2025-01-05, pledge_signed: true, last_training: 2026-02-01"
WORLD2 = _add(WORLD2, "collectors", [f"{{id: {c}, org: {o}, {_QUAL}}}" for c, o in (
    ("cc1", "agC"), ("cd1", "agD"), ("s1", "agS1"), ("s2", "agS2"), ("s3", "agS3"), ("s4", "agS4"), ("h2", "bank"))])
WORLD2 = _add(WORLD2, "tools", [
    "{id: tel-b2, institution: bank2, type: phone, number: '4009009000', official: true}",
    "{id: sms-bank, institution: bank, type: sms, number: '106900001234', official: true}",
    "{id: lh-bank, institution: bank, type: letterhead, official: true}"])
WORLD2 = _add(WORLD2, "templates", [
    "{id: tl1, institution: bank, audience: debtor, channel: letter, approved: true, sealed: true, "
    "text: 您好，您在示例消费金融公司的借款已逾期，请通过官方App还款。}",
    "{id: tl2, institution: bank, audience: debtor, channel: letter, approved: true, sealed: false, "
    "text: 您好，您在示例消费金融公司的借款已逾期，请通过官方App还款。}"])
WORLD2 = _add(WORLD2, "debtors", [f"{{id: d{i}, name: 债务人{i}, phone: '1380000000{i}'}}" for i in range(6, 10)])
WORLD2 = _add(WORLD2, "contacts", [
    "{id: c2, debtor: d2, relation: 同事, name: 联系人二, phone: '13900000002', refused: true}",
    "{id: c3, debtor: d2, relation: 朋友, name: 联系人三, phone: '13900000003'}"])
WORLD2 = _add(WORLD2, "debts", [
    f"{{id: L{i}, institution: bank, debtor: d{i}, product: cash-loan, overdue_amount: 1000, overdue_since: 2026-03-01}}"
    for i in range(6, 10)])
WORLD2 = _add(WORLD2, "placements", [f"{{debt: L{i}, agency: {a}, from: 2026-01-01, to: 2026-12-31}}" for i, a in (
    (6, "agC"), (7, "agD"), (8, "agP"), (9, "agQ"))])
TOOLS.update({"bank2": "4009009000", "sms": "106900001234", "lh": "lh-bank", "none": ""})
PH.update({f"d{i}": f"1380000000{i}" for i in range(6, 10)})
PH.update({"c2": "13900000002", "c3": "13900000003"})

# art17-agreement-active: agC's agreement ended 2026-04-30 (inclusive), agD's begins 2026-06-01; both agencies are
# listed and hold the debts' placements, so only the agreement's term fails.
case("agreement-active", [cdr(1, "cc1", "bank", "d6", "2026-04-30 10:00:00", extra=INT),
                          cdr(2, "cc1", "bank", "d6", "2026-05-01 10:00:00", extra=INT),
                          cdr(3, "cd1", "bank", "d7", f"{D} 10:00:00", extra=INT)],
     {"calls": 3, "judged": 3, "denied": 2, "by_rule": {"art17-agreement-active": 2}, "violation_lines": [2, 3],
      "by_agency": {"agC": {"judged": 2, "denied": 1}, "agD": {"judged": 1, "denied": 1}}}, world=WORLD2)
# art17-subcontracting: s1's parent agP has an agreement without subcontracting; s2 was never approved; s3 is approved
# under agQ (whose agreement allows it) and may collect agQ's debt L9; s4 is a subcontractor of a subcontractor.
# s3 on L8 (placed with agP, not with its entrusted agency agQ): art17-single-agency, checked on the parent.
case("subcontracting", [cdr(1, "s1", "bank", "d8", f"{D} 10:00:00", extra=INT),
                        cdr(2, "s2", "bank", "d9", f"{D} 10:00:00", extra=INT),
                        cdr(3, "s3", "bank", "d9", f"{D} 11:00:00", extra=INT),
                        cdr(4, "s4", "bank", "d9", f"{D} 12:00:00", extra=INT),
                        cdr(5, "s3", "bank", "d8", f"{D} 13:00:00", extra=INT)],
     {"calls": 5, "judged": 5, "denied": 4, "by_rule": {"art17-subcontracting": 3, "art17-single-agency": 1},
      "violation_lines": [1, 2, 4, 5]}, world=WORLD2)
# art8-contact-refused: d2 is unreachable (3 unanswered calls on 2 days in the last 7, no connected one), so a
# contact may be approached — but not c2, who refused; c3 (no refusal) is fine.
case("contact-refused", [cdr(1, "h1", "bank", "d2", "2026-05-16 10:00:00", answered=False, extra=INT),
                         cdr(2, "h1", "bank", "d2", "2026-05-17 10:00:00", answered=False, extra=INT),
                         cdr(3, "h1", "bank", "d2", "2026-05-17 11:00:00", answered=False, extra=INT),
                         cdr(4, "h1", "bank", "c2", f"{D} 10:00:00", extra="mode=interactive;purpose=locate"),
                         cdr(5, "h1", "bank", "c3", f"{D} 10:05:00", extra="mode=interactive;purpose=locate")],
     {"calls": 5, "judged": 5, "denied": 1, "by_rule": {"art8-contact-refused": 1}, "violation_lines": [4]},
     world=WORLD2)
# art10-tool-scope: bank2's official number serving bank's debt (that rule and only it); an SMS code used for a voice
# call is the wrong type of tool: art10-registered-tool.
case("tool-scope", [cdr(1, "h1", "bank2", "d2", f"{D} 10:00:00", extra=INT),
                    cdr(2, "h1", "sms", "d2", f"{D} 11:00:00", extra=INT),
                    cdr(3, "h1", "bank", "d2", f"{D} 12:00:00", extra=INT)],
     {"calls": 3, "judged": 3, "denied": 2, "by_rule": {"art10-tool-scope": 1, "art10-registered-tool": 1},
      "violation_lines": [1, 2]}, world=WORLD2)
# letters (channel=letter, the letterhead's id in the tool column, `delivery=post;envelope=tl1` in the userfield): per
# (debtor, product) ≥ 7 days apart, counting every earlier letter as sent, denied or not. 05-01 ok; 05-07 (6 days)
# denied; 05-08 (1 day after 05-07) denied; 05-15 (7 days after 05-08) ok. d3's two products are counted apart. A
# letter on an unsealed template: art15-letter-seal. A row that names no delivery is taken as paper (docs/rulebook.md)
# and, naming no envelope, cannot show its envelope is free of debt information (art. 15(三)3): art15-letter-envelope.
# A delivery the rulebook does not know (pigeon) is not judged: bad-channel-mode-or-purpose.
LET = "channel=letter;mode=notification;template=tl1;delivery=post;envelope=tl1"
case("letter-interval", [cdr(1, "h1", "lh", "d2", "2026-05-01 10:00:00", billsec=0, extra=LET),
                         cdr(2, "h1", "lh", "d2", "2026-05-07 10:00:00", billsec=0, extra=LET),
                         cdr(3, "h1", "lh", "d2", "2026-05-08 10:00:00", billsec=0, extra=LET),
                         cdr(4, "h1", "lh", "d2", "2026-05-15 10:00:00", billsec=0, extra=LET),
                         cdr(5, "h1", "lh", "d3", "2026-05-01 10:00:00", billsec=0, extra=LET + ";debt=L3a"),
                         cdr(6, "h1", "lh", "d3", "2026-05-02 10:00:00", billsec=0, extra=LET + ";debt=L3b"),
                         cdr(7, "h1", "lh", "d1", "2026-05-02 10:00:00", billsec=0,
                             extra="channel=letter;mode=notification;template=tl2;delivery=post;envelope=tl1"),
                         cdr(8, "h1", "lh", "d1", "2026-05-20 10:00:00", billsec=0,
                             extra="channel=letter;mode=notification;template=tl1"),
                         cdr(9, "h1", "lh", "d1", "2026-05-28 10:00:00", billsec=0,
                             extra="channel=letter;mode=notification;template=tl1;delivery=pigeon;envelope=tl1")],
     {"calls": 9, "judged": 8, "unmatched": 1, "denied": 4,
      "by_rule": {"art15-letter-envelope": 1, "art15-letter-interval": 2, "art15-letter-seal": 1},
      "unmatched_reasons": {"bad-channel-mode-or-purpose": 1},
      "violation_lines": [2, 3, 7, 8]}, world=WORLD2)
# visits (channel=visit, no tool, `team=h2;ids_shown=true`: two staff, IDs shown). The cap counts effective visits
# (answered): the 09:00 visit that found no one is not counted; 14:00 is the day's second. A visit whose row names no
# team (one person) and does not declare IDs shown fails art16-visit-team and art16-visit-id (RULES.md art. 16(三)).
VIS = "channel=visit;mode=interactive;team=h2;ids_shown=true"
case("visit-cap", [cdr(1, "h1", "none", "d2", f"{D} 09:00:00", answered=False, extra=VIS),
                   cdr(2, "h1", "none", "d2", f"{D} 10:00:00", billsec=1200, extra=VIS),
                   cdr(3, "h1", "none", "d2", f"{D} 14:00:00", billsec=1200, extra=VIS),
                   cdr(4, "h1", "none", "d2", "2026-05-19 10:00:00", billsec=1200, extra=VIS),
                   cdr(5, "h1", "none", "d2", "2026-05-20 10:00:00", billsec=1200,
                       extra="channel=visit;mode=interactive")],
     {"calls": 5, "judged": 5, "denied": 2,
      "by_rule": {"art16-visit-team": 1, "art16-visit-id": 1, "art16-visit-cap": 1},
      "violation_lines": [3, 5]}, world=WORLD2)


for name, (world, mp, log, expect, _log_name) in cases.items():
    d = ROOT / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "world.yaml").write_text(world, encoding="utf-8")
    (d / "map.yaml").write_text(mp, encoding="utf-8")
    (d / "log.csv").write_text(log, encoding="utf-8")
    (d / "expected.json").write_text(json.dumps(expect, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")
print(len(cases))

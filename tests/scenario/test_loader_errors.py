"""A malformed scenario file gets an error with its path, line and reason — never a traceback or a skip."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectguard.cli import app
from collectguard.scenario.loader import LoadError, load_scenario

GOOD = """\
scenario: A good file
setup:
  institutions: [{id: bank}]
  collectors: [{id: bot1, org: bank, kind: ai_agent, approved: true}]
  tools: [{id: sms, institution: bank, type: sms, official: true}]
  templates: [{id: t, institution: bank, audience: debtor, channel: sms, approved: true, text: "请还款"}]
  debtors: [{id: d1}]
  debts: [{id: loan1, institution: bank, debtor: d1, product: card}]
steps:
  - at: 2026-05-20T09:00:00+08:00
    attempt: {id: a1, collector: bot1, debt: loan1, party: d1, channel: sms, mode: notification, tool: sms, template: t}
    expect: allow
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("channel: sms, mode", "channel: telegram, mode", 11, "channel"),
        ("    expect: allow\n", "", 10, "expect"),
        ("expect: allow", "expect: {deny: [art99-made-up]}", 12, "unknown rule id"),
        ("party: d1", "party: nobody", 11, "unknown debtor or contact"),
        ("debtor: d1, product", "debtor: d9, product", 8, "unknown debtor"),
        ("  debtors: [{id: d1}]", "  debtors: [{id: d1, shoe_size: 42}]", 7, "shoe_size"),
        ("  debtors: [{id: d1}]", "  debtors: [{id: bank}]", 7, "duplicate id"),
        ("attempt: {id: a1,", "attempt: {id: a1 collector,", 11, "YAML"),
        ("at: 2026-05-20T09:00:00+08:00", "at: 2026-05-20T09:00:00", 10, "timezone"),
    ],
)
def test_bad_files_name_the_line_and_the_reason(tmp_path, old, new, line, reason):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(LoadError) as err:
        load_scenario(path)
    assert err.value.line == line, str(err.value)
    assert reason.lower() in str(err.value).lower()
    assert str(path) in str(err.value)


def test_time_going_backwards_is_a_load_error(tmp_path):
    text = GOOD + """\
  - at: 2026-05-20T08:00:00+08:00
    attempt: {id: a2, collector: bot1, debt: loan1, party: d1, channel: sms, mode: notification, tool: sms, template: t}
    expect: allow
"""
    with pytest.raises(LoadError) as err:
        load_scenario(write(tmp_path, text))
    assert err.value.line == 13 and "backwards" in err.value.reason


def test_a_policy_looser_than_the_guideline_is_a_load_error(tmp_path):
    text = GOOD.replace("setup:\n", "policy:\n  bank: {voice_cap: 5}\nsetup:\n", 1)
    with pytest.raises(LoadError) as err:
        load_scenario(write(tmp_path, text))
    assert err.value.line == 3 and "voice_cap" in err.value.reason and "looser" in err.value.reason


def test_quiet_hours_policy_must_cover_the_guideline(tmp_path):
    loose = GOOD.replace("setup:\n", 'policy:\n  bank: {quiet_hours: {from: "23:00", to: "08:00"}}\nsetup:\n', 1)
    with pytest.raises(LoadError, match="quiet_hours"):
        load_scenario(write(tmp_path, loose))
    strict = GOOD.replace("setup:\n", 'policy:\n  bank: {quiet_hours: {from: "21:00", to: "09:00"}}\nsetup:\n', 1)
    assert load_scenario(write(tmp_path, strict, "ok.yaml")).policy["bank"].quiet_hours is not None


def test_cli_reports_bad_files_and_counts_the_good_ones(tmp_path):
    write(tmp_path, GOOD, "good.yaml")
    write(tmp_path, GOOD.replace("channel: sms, mode", "channel: pigeon, mode"), "bad.yaml")
    result = CliRunner().invoke(app, ["scenario", "run", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{tmp_path / 'bad.yaml'}:11" in result.output
    assert result.output.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_cli_json_form(tmp_path):
    write(tmp_path, GOOD.replace("expect: allow", "expect: {deny: [art9-quiet-hours]}"), "wrong.yaml")
    result = CliRunner().invoke(app, ["scenario", "run", "--json", str(tmp_path)])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["passed"] == 0 and doc["failed"] == 1
    step = doc["files"][0]["steps"][0]
    assert step["index"] == 0 and step["ok"] is False
    assert step["expected"] == {"deny": ["art9-quiet-hours"]}
    assert step["got"]["decision"] == "allow"
    assert doc["files"][0]["error"] is None


def test_a_missing_path_is_an_error_not_a_skip(tmp_path):
    result = CliRunner().invoke(app, ["scenario", "run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file" in result.output


OVERSIGHT = """\
scenario: Oversight steps
setup:
  institutions: [{id: bank, since: 2025-01-01}]
  agencies: [{id: agA, listed_by: []}]
  agreements: [{id: ag1, institution: bank, agency: agA, from: 2026-01-01, to: 2026-12-31}]
steps:
  - at: 2026-01-02T10:00:00+08:00
    agency_evaluation:
      id: ev1
      institution: bank
      agency: agA
      kind: admission
      passed: true
      scores: {licence: 90, lawful_operation: 85, going_concern: 80, internal_control: 75, professional_capability: 80, information_security: 85, premises_equipment: 70, social_responsibility: 80, reputation: 75}
  - at: 2026-01-02T11:00:00+08:00
    check_obligations: {institution: bank}
    expect: {overdue: [art12-self-inspection:bank]}
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("reputation: 75}", "}", 14, "missing: reputation"),
        ("reputation: 75}", "reputation: 75, charm: 3}", 14, "unknown criteria"),
        ("kind: admission", "kind: pre_expiry", 9, "names its `agreement`"),
        ("    expect: {overdue: [art12-self-inspection:bank]}\n", "", 15, "expect: {overdue"),
        ("art12-self-inspection:bank", "art99-nothing:bank", 17, "unknown obligation key"),
        ("agency: agA\n      kind", "agency: agZ\n      kind", 11, "unknown agency"),
    ],
)
def test_bad_oversight_steps_name_the_line_and_the_reason(tmp_path, old, new, line, reason):
    assert old in OVERSIGHT
    path = write(tmp_path, OVERSIGHT.replace(old, new))
    with pytest.raises(LoadError) as err:
        load_scenario(path)
    assert reason.lower() in str(err.value).lower(), str(err.value)
    assert err.value.line == line, str(err.value)


def test_the_good_oversight_file_loads(tmp_path):
    assert load_scenario(write(tmp_path, OVERSIGHT)).steps[1].expect.rules == ("art12-self-inspection:bank",)

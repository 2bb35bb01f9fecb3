"""Unit tests of each rule operator (any, all, none, near, negation, position, speaker, timing, context)."""

from __future__ import annotations

from typing import Any

import pytest

from collectguard.qa.inspector import Inspector
from collectguard.qa.matcher import KeywordIndex, build_turns
from collectguard.qa.models import Call
from collectguard.qa.rules import parse_rule_files

HEADER = """
category: threat
rule: art16-etiquette
article: 第16条(一)3
severity: critical
"""


def inspector_with(rule_yaml: str, lexicons: str = "") -> Inspector:
    text = HEADER + (("lexicons:\n" + lexicons) if lexicons else "") + "rules:\n" + rule_yaml
    return Inspector(parse_rule_files({"threat.yaml": text}))


def make_call(turns: list[tuple[str, str, float, float]], audience: str = "debtor") -> Call:
    return Call.model_validate({
        "id": "op", "audience": audience,
        "turns": [{"speaker": s, "text": t, "start": a, "end": b} for s, t, a, b in turns],
    })


def spans(insp: Inspector, text: str, speaker: str = "agent", audience: str = "debtor") -> list[str]:
    found = insp.inspect(make_call([(speaker, text, 0.0, 5.0)], audience))
    return [f.evidence for f in found]


def test_keyword_index_finds_overlapping_terms_once_per_occurrence() -> None:
    index = KeywordIndex(["上门", "上门抓", "抓人"])
    turn = build_turns([("agent", "明天上门抓人，上门", None, None)], index)[0]
    assert turn.occ["上门"] == [(2, 4), (7, 9)]
    assert turn.occ["上门抓"] == [(2, 5)]
    assert turn.occ["抓人"] == [(4, 6)]


def test_any_matches_keywords_and_reports_the_original_span() -> None:
    insp = inspector_with("  - id: t.any\n    any: [收拾你]\n")
    assert spans(insp, "再拖就收拾你！") == ["收拾你"]
    assert spans(insp, "我们会好好沟通。") == []


def test_full_width_and_polite_you_are_normalised_but_evidence_is_original() -> None:
    insp = inspector_with("  - id: t.any\n    any: [收拾你, abc]\n")
    assert spans(insp, "迟早收拾您") == ["收拾您"]
    assert spans(insp, "代码ＡＢＣ") == ["ＡＢＣ"]


def test_all_requires_every_group() -> None:
    insp = inspector_with("  - id: t.all\n    any: [上门]\n    all:\n      - [今晚, 明天]\n      - [你家]\n")
    assert spans(insp, "明天上门去你家") == ["上门"]
    assert spans(insp, "明天上门拜访") == []


def test_none_in_turn_and_within_distance() -> None:
    insp = inspector_with("  - id: t.none\n    any: [上门]\n    none: [预约]\n")
    assert spans(insp, "我们会预约后上门") == []
    near = inspector_with("  - id: t.none\n    any: [上门]\n    none: [预约]\n    none_within: 3\n")
    assert spans(near, "上门的事，之后再跟您约时间，需要预约") == ["上门"]
    assert spans(near, "预约后上门") == []


@pytest.mark.parametrize(
    ("near", "text", "expected"),
    [
        ("{left: [找人], right: [你家], within: 4}", "找人去你家", ["找人去你家"]),
        ("{left: [找人], right: [你家], within: 1}", "找人明天去你家", []),
        ("{left: [找人], right: [你家], within: 6}", "你家那边我找人", []),
        ("{left: [找人], right: [你家], within: 6, ordered: false}", "你家那边我找人", ["你家那边我找人"]),
        ("{left: [找人], right: [你家], within: 8, same_clause: true}", "找人，去你家", []),
        ("{left: [找人], right: [你家], within: 8}", "找人，去你家", ["找人，去你家"]),
    ],
)
def test_near_operator(near: str, text: str, expected: list[str]) -> None:
    insp = inspector_with(f"  - id: t.near\n    near:\n      - {near}\n")
    assert spans(insp, text) == expected


def test_negation_before_in_same_clause_cancels() -> None:
    insp = inspector_with("  - id: t.neg\n    any: [上门]\n    negation: {before: 4, negators: [不会]}\n")
    assert spans(insp, "我们不会上门") == []
    assert spans(insp, "我们不会打电话了，明天上门") == ["上门"]  # another clause
    assert spans(insp, "我们不会在今天晚些时候上门") == ["上门"]  # too far


def test_debunker_after_cancels_within_the_sentence() -> None:
    insp = inspector_with("  - id: t.neg\n    any: [黑名单]\n    negation: {after: 6, debunkers: [是谣言]}\n")
    assert spans(insp, "所谓黑名单是谣言") == []
    assert spans(insp, "你进黑名单了。这是谣言吗") == ["黑名单"]


def test_breaker_and_pseudo_negator() -> None:
    insp = inspector_with(
        "  - id: t.neg\n    any: [脑子有病]\n"
        "    negation: {before: 8, negators: [不是, 没有], breakers: [就], ignore: [是不是]}\n"
    )
    assert spans(insp, "你是不是脑子有病") == ["脑子有病"]  # 是不是 is a question, not a negation
    assert spans(insp, "我没有说你脑子有病") == []
    assert spans(insp, "没有钱就是脑子有病") == ["脑子有病"]  # 就 stops the negation


def test_negator_between_near_terms_cancels_the_pair() -> None:
    insp = inspector_with("  - id: t.near\n    near:\n      - {left: [你], right: [承担], within: 6}\n"
                          "    negation: {negators: [不需要]}\n")
    assert spans(insp, "你不需要承担") == []
    assert spans(insp, "你来承担") == ["你来承担"]


def test_regex_operator() -> None:
    insp = inspector_with('  - id: t.re\n    regex: ["判[一二三四五六七八九十]+年"]\n')
    assert spans(insp, "够判三年的") == ["判三年"]
    assert spans(insp, "判断一下") == []


def test_speaker_role_only_agent_by_default() -> None:
    insp = inspector_with("  - id: t.any\n    any: [弄死]\n")
    assert spans(insp, "你们再打来我弄死你", speaker="debtor") == []
    assert spans(insp, "弄死你", speaker="agent") == ["弄死"]
    both = inspector_with("  - id: t.any\n    any: [弄死]\n    speaker: [agent, debtor]\n")
    assert spans(both, "弄死你", speaker="debtor") == ["弄死"]


def test_audience_filter() -> None:
    insp = inspector_with("  - id: t.any\n    any: [替他还]\n    audience: [contact]\n")
    assert spans(insp, "你替他还", audience="debtor") == []
    assert spans(insp, "你替他还", audience="contact") == ["替他还"]


def _evidence(insp: Inspector, turns: list[tuple[str, str, float, float]]) -> list[tuple[int | None, str]]:
    return [(f.turn, f.evidence) for f in insp.inspect(make_call(turns))]


def test_position_first_seconds_first_agent_turns_before_turn() -> None:
    turns = [("agent", "喂喂", 0.0, 1.0), ("debtor", "喂", 1.5, 2.0), ("agent", "喂喂", 40.0, 41.0)]
    secs = inspector_with("  - id: t.pos\n    any: [喂喂]\n    position: {first_seconds: 30}\n")
    assert _evidence(secs, turns) == [(0, "喂喂")]
    first = inspector_with("  - id: t.pos\n    any: [喂喂]\n    position: {first_agent_turns: 1}\n")
    assert _evidence(first, turns) == [(0, "喂喂")]
    before = inspector_with("  - id: t.pos\n    any: [喂喂]\n    position: {before_turn: 3}\n")
    assert [t for t, _ in _evidence(before, turns)] == [0, 2]
    before2 = inspector_with("  - id: t.pos\n    any: [喂喂]\n    position: {before_turn: 2}\n")
    assert [t for t, _ in _evidence(before2, turns)] == [0]


def test_speech_rate_operator_flags_fast_turns() -> None:
    insp = inspector_with("  - id: t.rate\n    speech_rate: {min_cps: 8}\n")
    fast = [("agent", "本次通话录音请知悉谢谢配合", 0.0, 1.0)]  # 12 chars in 1 s
    slow = [("agent", "本次通话录音请知悉谢谢配合", 0.0, 4.0)]  # 3 chars/s
    assert len(insp.inspect(make_call(fast))) == 1
    assert insp.inspect(make_call(slow)) == []


def test_silence_operator_measures_gap_before_turn() -> None:
    insp = inspector_with("  - id: t.silence\n    silence: {min_before: 5}\n    any: [喂]\n")
    turns = [("debtor", "你说", 0.0, 1.0), ("agent", "喂", 7.0, 7.5), ("agent", "喂", 8.0, 8.5)]
    assert [f.turn for f in insp.inspect(make_call(turns))] == [1]


def test_reply_to_requires_the_other_partys_previous_turn() -> None:
    insp = inspector_with("  - id: t.ctx\n    reply_to: [你是谁]\n    any: [别问]\n")
    asked = [("debtor", "你是谁？", 0.0, 1.0), ("agent", "别问了，先还钱", 1.5, 3.0)]
    not_asked = [("debtor", "我没钱", 0.0, 1.0), ("agent", "别问了，先还钱", 1.5, 3.0)]
    assert [f.turn for f in insp.inspect(make_call(asked))] == [1]
    assert insp.inspect(make_call(not_asked)) == []


def test_lexicon_reference_and_common_lexicon() -> None:
    files: dict[str, Any] = {
        "_common.yaml": "lexicons:\n  scary: [收拾你]\n",
        "threat.yaml": HEADER + "lexicons:\n  more: ['@scary', 弄你]\nrules:\n  - id: t.lex\n    any: ['@more']\n",
    }
    insp = Inspector(parse_rule_files(files))
    assert spans(insp, "弄你") == ["弄你"]
    assert spans(insp, "收拾你") == ["收拾你"]


def test_normalize_is_the_translation_table_and_keeps_length() -> None:
    from collectguard.qa.text import _TABLE, normalize

    every_mapped = "".join(chr(c) for c in _TABLE)
    for text in [every_mapped, "您好，ＡＢＣ１２３ Hello, World!?;:　x", "没有要换的字", "", "您您您"]:
        assert normalize(text) == text.translate(_TABLE)
        assert len(normalize(text)) == len(text)

"""The anti-collection signals' pure detection (complaints/signals.py): shingles, keyed MinHash, LSH bands,
phrases of the trade with Chinese negation and boundaries, and the decision at its thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectguard.complaints import signals as s

KEY = b"k" * 32
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TEMPLATE = ("本人{name}，因疫情失业收入锐减，无力偿还贵司借款{amount}元。催收人员每天多次拨打电话，骚扰我的家人和同事，"
            "严重影响正常生活。现委托代理人申请停息挂账，本金分{n}期偿还，请贵司于{d}日内答复，否则将投诉到银保监会。")
UNRELATED = [
    "催收员上周打电话给我的父母，说我欠钱不还，还说要上门。我已经和客服约定了还款日期，请核实处理。",
    "我的借款已经在三月结清了，但是征信报告上还显示逾期，请尽快更正。",
    "贵司委托的机构晚上十一点还在打电话，我要求调查并给我一个说法。",
    "我不认识借款人，你们的催收员却一直打我的电话，请把我的号码删除。",
]


def text(name="张三", amount=12000, n=60, d=7):
    return TEMPLATE.format(name=name, amount=amount, n=n, d=d)


def sig_of(t):
    return s.signature(t, KEY)


def sim(a, b):
    return s.similarity(sig_of(a)[0], sig_of(b)[0])


def exact_jaccard(a, b):
    x, y = s.shingles(a), s.shingles(b)
    return len(x & y) / len(x | y)


# -- shingles and signatures ------------------------------------------------------------------------------------
def test_shingles_drop_whitespace_punctuation_and_digits():
    assert s.clean_for_shingles("停息 挂账，12期！Ａ") == "停息挂账期a"
    assert s.shingles("停息挂账") == {"停息挂", "息挂账"}
    assert s.shingles("停息") == {"停息"} and s.shingles("，，") == set()


def test_identical_texts_have_identical_signatures():
    a, b = sig_of(text()), sig_of(text())
    assert a == b and len(a[0]) == s.SIGNATURE_BYTES and a[1] > 50
    assert s.similarity(a[0], b[0]) == 1.0


def test_swapped_digits_punctuation_and_spacing_still_match_exactly():
    a = text(amount=12000, n=60, d=7)
    b = text(amount=8800, n=36, d=15).replace("，", " , ").replace("。", "!")
    assert exact_jaccard(a, b) == 1.0 and sim(a, b) == 1.0


def test_a_swapped_name_is_a_near_duplicate():
    a, b = text(name="张三"), text(name="欧阳娜娜")
    assert 0.85 < exact_jaccard(a, b) < 1.0
    assert sim(a, b) >= s.DEFAULT.jaccard


def test_small_edits_of_the_template_stay_above_the_threshold_and_unrelated_texts_far_below():
    base = text()
    edited = base.replace("每天多次", "每天十几次").replace("严重影响正常生活", "严重影响了我的正常生活")
    assert sim(base, edited) >= s.DEFAULT.jaccard
    for other in UNRELATED:
        assert sim(base, other) < 0.2
    for a in UNRELATED:
        for b in UNRELATED:
            if a != b:
                assert sim(a, b) < 0.3


def test_the_estimate_follows_the_exact_jaccard():
    base = text()
    for cut in (10, 30, 50, 70):
        other = base[:cut] + UNRELATED[0] + base[cut + 30:]
        assert abs(sim(base, other) - exact_jaccard(base, other)) < 0.15


def test_the_signature_is_keyed():
    a1, _ = s.signature(text(), KEY)
    a2, _ = s.signature(text(), b"x" * 32)
    assert s.similarity(a1, a2) < 0.1


def test_a_signature_round_trips_through_datasketch():
    raw, _ = sig_of(text())
    mh = s.from_signature(raw)
    assert mh.jaccard(s.from_signature(raw)) == 1.0
    with pytest.raises(ValueError):
        s.from_signature(raw[:-1])


def test_lsh_bands_find_near_duplicates_and_agree_with_datasketchs_index():
    sigs = {f"t{i}": sig_of(text(name=n))[0] for i, n in enumerate(["张三", "李四", "王小五", "赵六"])}
    sigs.update({f"u{i}": sig_of(u)[0] for i, u in enumerate(UNRELATED)})
    bands = {k: set(s.band_keys(v)) for k, v in sigs.items()}
    assert len(bands["t0"]) == len(s._bands(0.7)) == 14
    shared = {k for k, v in bands.items() if v & bands["t0"]}
    assert {"t0", "t1", "t2", "t3"} <= shared and not shared & {"u0", "u1", "u2", "u3"}
    lsh = s.lsh_index(sigs.items())
    assert set(lsh.query(s.from_signature(sigs["t0"]))) == shared


# -- phrases ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("phrase", "found"), [
    ("现申请停息挂账，分60期", ["stop-interest"]),
    ("可以办理停 息-挂·账", ["stop-interest"]),
    ("可以申请免息挂帐", ["interest-free-hold"]),
    ("专业代理退息，征信修复", ["agent-refund", "credit-repair"]),
    ("帮你洗白征信", ["credit-repair"]),
    ("债务优化，一对一服务", ["debt-optimisation"]),
    ("专业反催收团队", ["anti-collection"]),
    ("钱不用还了，找我们", ["no-need-to-pay"]),
    ("都别还了", ["dont-pay"]),
    ("我已经停止还款了", ["stop-paying"]),
    ("我要投诉到银保监会", ["regulator-template"]),
    ("否则我就投诉到12378", ["regulator-template", "regulator-threat"]),
])
def test_phrases_are_found(phrase, found):
    assert s.phrases(phrase) == found


@pytest.mark.parametrize("phrase", [
    "我不会停止还款，只是想协商",  # a negation in the same clause
    "我没有停止还款",
    "我们从未要求停息挂账",
    "并非申请停息挂账",
    "我不停止还款",
    "你们不用还要天天打电话",  # 不用还要: "no need to still …"
    "这笔钱不用还吗",  # a question
    "不用还给我，直接退回原账户",
    "希望能够个性化分期",  # a legitimate request (the law provides for it)
    "停止催收，停止骚扰",
    "我会按时还款",
])
def test_phrases_that_only_look_alike_are_not_found(phrase):
    assert s.phrases(phrase) == []


def test_a_negation_in_another_clause_or_far_before_does_not_cancel_a_phrase():
    assert s.phrases("我不会再忍了，现申请停息挂账") == ["stop-interest"]
    assert s.phrases("实在还不起了现在申请停息挂账") == ["stop-interest"]
    assert s.phrases("我没有工作收入了我们要求停息挂账") == ["stop-interest"]


@pytest.mark.parametrize(("found", "raised"), [
    (["stop-interest"], True),  # strong alone
    (["no-need-to-pay"], True),
    (["regulator-template"], False),  # complaining to the regulator is a right
    (["regulator-template", "regulator-threat"], False),
    (["stop-paying"], False),  # a debtor's own statement
    (["stop-paying", "regulator-template"], True),  # two categories
    ([], False),
])
def test_when_phrases_raise_the_signal(found, raised):
    assert s.phrase_signal(found) is raised


# -- the decision -----------------------------------------------------------------------------------------------
def feat(ident, debtor, *, days=0, text_=None, **keys):
    signature, count = sig_of(text_) if text_ else (None, 0)
    return s.Features(id=ident, debtor=debtor, at=T0 + timedelta(days=days), keys=keys, signature=signature,
                      shingles=count, phrases=tuple(s.phrases(text_)) if text_ else ())


def test_a_phone_shared_by_three_debtors_is_a_signal_and_by_two_is_not():
    new = feat("c3", "d3", days=10, shared_phone="P")
    two = [feat("c1", "d1", shared_phone="P")]
    assert s.detect(new, two) == []
    three = two + [feat("c2", "d2", days=5, shared_phone="P")]
    [r] = s.detect(new, three)
    assert (r.signal, r.key, r.shared_with, r.debtors) == ("shared_phone", "P", ("c1", "c2"), 3)


def test_the_same_debtor_complaining_three_times_is_not_a_signal():
    new = feat("c3", "d1", days=2, shared_proxy="X")
    assert s.detect(new, [feat("c1", "d1", shared_proxy="X"), feat("c2", "d1", days=1, shared_proxy="X")]) == []


def test_complaints_without_a_debtor_count_each_as_one():
    new = feat("c3", None, days=2, shared_email="E")
    [r] = s.detect(new, [feat("c1", None, shared_email="E"), feat("c2", None, days=1, shared_email="E")])
    assert r.debtors == 3


def test_the_window_is_90_days_inclusive_and_looks_back_only():
    new = feat("c3", "d3", days=100, shared_account="A")
    edge = feat("c1", "d1", days=10, shared_account="A")  # exactly 90 days before
    assert [r.signal for r in s.detect(new, [edge, feat("c2", "d2", days=50, shared_account="A")])] == ["shared_account"]
    too_old = feat("c1", "d1", days=9, shared_account="A")
    assert s.detect(new, [too_old, feat("c2", "d2", days=50, shared_account="A")]) == []
    later = feat("c1", "d1", days=101, shared_account="A")
    assert s.detect(new, [later, feat("c2", "d2", days=50, shared_account="A")]) == []


def test_thresholds_are_configurable():
    new = feat("c2", "d2", days=1, shared_phone="P")
    assert s.detect(new, [feat("c1", "d1", shared_phone="P")], s.Thresholds(min_debtors=2))[0].debtors == 2


def test_near_duplicate_texts_of_three_debtors_are_a_signal_unrelated_ones_are_not():
    pool = [feat("c1", "d1", text_=text(name="张三")), feat("c2", "d2", days=1, text_=text(name="李四", amount=3000)),
            feat("u1", "d9", days=1, text_=UNRELATED[0])]
    [r, p] = s.detect(feat("c3", "d3", days=2, text_=text(name="王五", n=24)), pool)
    assert (r.signal, r.shared_with, r.debtors) == ("near_duplicate_text", ("c1", "c2"), 3)
    assert r.detail["similarity"] >= 0.7
    assert p.signal == "phrases" and p.detail["phrases"] == ["stop-interest", "regulator-template", "regulator-threat"]
    assert s.detect(feat("u2", "d3", days=2, text_=UNRELATED[1]), pool) == []


def test_the_jaccard_threshold_edge():
    a, b = text(name="张三"), text(name="欧阳娜娜")
    value = sim(a, b)
    pool = [feat("c1", "d1", text_=a), feat("c2", "d2", text_=a)]
    new = feat("c3", "d3", days=1, text_=b)
    assert [r.signal for r in s.detect(new, pool, s.Thresholds(jaccard=value))][:1] == ["near_duplicate_text"]
    assert "near_duplicate_text" not in [r.signal for r in s.detect(new, pool, s.Thresholds(jaccard=value + 0.01))]


def test_short_texts_are_never_compared():
    short = "我要投诉催收"  # 4 shingles
    pool = [feat("c1", "d1", text_=short), feat("c2", "d2", text_=short)]
    assert s.detect(feat("c3", "d3", days=1, text_=short), pool) == []


def test_several_signals_at_once_and_the_complaint_itself_ignored():
    pool = [feat("c1", "d1", shared_proxy="X", shared_phone="P"), feat("c2", "d2", shared_proxy="X", shared_phone="P")]
    new = feat("c3", "d3", days=1, shared_proxy="X", shared_phone="P")
    assert [r.signal for r in s.detect(new, [*pool, new])] == ["shared_proxy", "shared_phone"]


# -- properties -------------------------------------------------------------------------------------------------
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=0, max_size=60)
NOISE = st.text(alphabet=" \t\n，。！？、；：,.!?0123456789０１２３-—·（）()【】", max_size=3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CJK, NOISE), min_size=1, max_size=6))
def test_digits_spacing_and_punctuation_never_change_a_signature(parts):
    plain_text = "".join(p for p, _ in parts)
    noisy = "".join(p + n for p, n in parts)
    assert sig_of(plain_text) == sig_of(noisy)


@settings(max_examples=40, deadline=None)
@given(CJK, CJK)
def test_similarity_is_symmetric_and_bounded(a, b):
    sa, sb = sig_of(a)[0], sig_of(b)[0]
    assert s.similarity(sa, sb) == s.similarity(sb, sa)
    assert 0.0 <= s.similarity(sa, sb) <= 1.0 and s.similarity(sa, sa) == 1.0

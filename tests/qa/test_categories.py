"""Each pattern category: fresh positive sentences fire, negations, debunking and lawful information
do not, and only the agent's words count."""

from __future__ import annotations

import pytest

from tests.qa.helpers import agent_says, call, categories

POSITIVE: dict[str, list[str]] = {
    "impersonation": [
        "实话告诉你，我这边就是区检察院的，案子已经到我手上了。",
        "我以仲裁员的身份再提醒你一次。",
        "我们经侦这边已经掌握你的流水了。",
    ],
    "identity-hidden": [
        "我们是哪家机构你不用知道，把钱准备好就行。",
        "工号不方便透露，你记着还钱就行。",
    ],
    "misleading": [
        "再拖一周，你名下的银行卡全部冻结。",
        "你这是恶意透支罪，够你坐几年牢的。",
        "法院传票下周就寄到你老家。",
        "以后你儿子考公务员政审肯定过不了。",
    ],
    "threat": [
        "你最好晚上出门小心一点。",
        "我们已经找到你家了，今晚就派人过去坐坐。",
        "惹急了我们，你一家老小都别想睡好觉。",
    ],
    "insult": [
        "你就是个废物，借钱的时候怎么不想想。",
        "你脑子进水了吧，这都算不明白。",
    ],
    "public-shaming": [
        "你要不还，我们就把你的照片发到你们小区业主群。",
        "明天就在你单位门口拉横幅。",
    ],
    "private-channel": [
        "你把钱打到我个人银行卡上，我帮你销账。",
        "加我个人微信，卡号我发你。",
    ],
    "extra-fee": [
        "想停止催收的话得先交一千块保证金。",
        "给你出结清证明要另外收三百服务费。",
    ],
    "illegal-funding": [
        "你去借呗借一笔先把这期还上。",
        "信用卡套现一下不就有钱了吗？",
    ],
}

NEGATIVE: list[str] = [
    "我们不会威胁您，也不会上门骚扰。",
    "网上说的黑名单是谣言，逾期信息会按规定报送征信。",
    "如果一直协商不成，我司可能依法起诉，具体以法院判决为准。",
    "还款不用交任何手续费，请只在官方App操作。",
    "我们不会要求您转账到任何个人账户。",
    "我们不会把您的信息发到任何群里。",
    "我们不建议您以贷养贷，可以申请延期还款。",
    "如果有人冒充法院或者公安找您，请直接报警。",
    "逾期不属于诈骗，不会坐牢，您放心。",
    "您可以和家人商量一下，晚点给我们回电。",
    "您在开车的话注意安全，我晚点再打给您。",
    "按合同约定逾期会产生罚息，明细可以在App查看。",
]


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, ts in POSITIVE.items() for t in ts])
def test_positive_sentence_is_flagged(category: str, text: str) -> None:
    assert category in agent_says(text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_negations_debunking_and_lawful_information_are_not_flagged(text: str) -> None:
    assert agent_says(text) == set()


def test_compliant_opening_alone_is_clean() -> None:
    assert categories(call(("agent", "好的，那我们下周再联系，再见。"))) == set()


@pytest.mark.parametrize("text", ["你们再骚扰我，我就去投诉，你们就是一群骗子、垃圾！", "小心我去法院告你们"])
def test_debtor_words_never_count(text: str) -> None:
    assert categories(call(("debtor", text))) == set()


def test_threat_to_a_contact_is_third_party_pressure() -> None:
    found = agent_says("你不帮他处理，明天我们就派人去你单位找你。", audience="contact")
    assert "third-party-pressure" in found
    assert "threat" not in found


def test_demanding_a_contact_pays() -> None:
    assert "third-party-pressure" in agent_says("你是他姐姐，这钱你今天就替他还了吧。", audience="contact")
    # the same words to the debtor are no third-party pressure
    assert "third-party-pressure" not in agent_says("你是他姐姐，这钱你今天就替他还了吧。")


@pytest.mark.parametrize("text", [
    "你再不还，我们就挨个给你同事打电话说明情况。",
    "拖到月底的话，你手机联系人我们会一个一个发消息过去。",
    "下一步就是通知你们公司人事，让单位都知道你借钱不还。",
    "你舅舅和你表姐的号码我们都有，再躲就挨个打给他们。",
])
def test_threatening_to_involve_the_debtors_circle_is_third_party_pressure_on_any_call(text: str) -> None:
    for audience in ("debtor", "contact"):
        found = agent_says(text, audience=audience)
        assert "third-party-pressure" in found, (audience, found)
        assert "threat" not in found, (audience, found)


@pytest.mark.parametrize("text", [
    "今晚我们的人就到你家楼下等你。",
    "你一家老小最好都小心点。",
])
def test_physical_intimidation_stays_a_threat_on_a_debtor_call(text: str) -> None:
    found = agent_says(text)
    assert "threat" in found
    assert "third-party-pressure" not in found


@pytest.mark.parametrize("text", [
    "你户口所在地的派出所我们已经打过招呼了，民警这周会去你家。",
    "执行局的人后天就到你公司找你。",
    "我们已经把材料转给公安了，警察会直接联系你。",
])
def test_claiming_authorities_act_for_the_collector_is_impersonation(text: str) -> None:
    found = agent_says(text)
    assert "impersonation" in found
    assert "misleading" not in found


@pytest.mark.parametrize("text", ["你再拖下去是要判刑的。", "明天就有人来把你铐走。", "你已经被列入失信黑名单了。"])
def test_false_consequences_stay_misleading(text: str) -> None:
    found = agent_says(text)
    assert "misleading" in found
    assert "impersonation" not in found


def test_the_more_specific_category_wins_in_a_turn() -> None:
    found = agent_says("我们的人会在你小区门口举牌子，写上你欠钱不还。")
    assert "public-shaming" in found
    assert "threat" not in found

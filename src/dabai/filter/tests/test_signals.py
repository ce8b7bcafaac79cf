"""Each rule of the filter, pinned by the behaviour a person would expect."""

from __future__ import annotations

import pytest

from dabai.filter import analyse
from dabai.filter.lexicon import match_address_form, match_cues, trie_regex
from dabai.filter.normalise import normalise, normalise_many


def kinds(text: str) -> list[tuple[str, str]]:
    return [(e["kind"], e["text"]) for e in analyse(text).to_dict()["entities"]]


# --- normalisation ---


def test_normalisation_folds_traditional_fullwidth_and_whitespace_one_char_for_one() -> None:
    assert normalise("退貨ＡＢＣ１２３\u3000\t好") == "退货ABC123  好"


def test_batch_normalisation_equals_one_by_one() -> None:
    texts = ["這個訂單", "", "ａｂｃ", "\n", "發票"]
    assert normalise_many(texts) == [normalise(t) for t in texts]


# --- escalation ---


@pytest.mark.parametrize(
    "text, cue",
    [
        ("再不解决我就打12315", "12315"),
        ("我要去工信部投诉你们", "工信部"),
        ("我会找消协", "消协"),
        ("向市场监管局举报", "市场监管"),
        ("我要联系电视台", "电视台"),
        ("我把这事发到网上", "发到网上"),
        ("等着被曝光吧", "曝光"),
        ("我已经请了律师", "律师"),
        ("法院见", "法院"),
        ("我会让银行拒付", "拒付"),
        ("已经在黑猫投诉发帖", "黑猫投诉"),
        ("I will contact my lawyer about this", "lawyer"),
    ],
)
def test_escalation_threats_are_flagged_with_their_cue(text: str, cue: str) -> None:
    esc = analyse(text).to_dict()["escalation"]
    assert esc["risk"] is True
    assert cue in esc["cues"]


def test_regulator_number_inside_a_longer_number_is_not_a_threat() -> None:
    esc = analyse("我的订单号是9912315887766").to_dict()["escalation"]
    assert "12315" not in esc["cues"]


def test_plain_question_carries_no_escalation() -> None:
    assert analyse("请问退款多久到账？").to_dict()["escalation"]["risk"] is False


# --- form of address ---


@pytest.mark.parametrize(
    "text, term, register",
    [
        ("美女，我的快递到哪了", "美女", "familiar"),
        ("老师您好，请问发票怎么开", "老师", "respectful"),
        ("师傅，宽带什么时候来修", "师傅", "respectful"),
        ("老妹儿，帮我查查", "老妹儿", "familiar"),
        ("亲，在吗", "亲", "familiar"),
        ("你好客服，我要退款", "客服", "respectful"),
        ("小姐，你们怎么回事", "小姐", "inappropriate"),
        ("服务员！我的单呢", "服务员", "familiar"),
        ("小姑娘，你听我说", "小姑娘", "familiar"),
    ],
)
def test_form_of_address_and_register(text: str, term: str, register: str) -> None:
    assert analyse(text).to_dict()["address_form"] == {"term": term, "register": register}


@pytest.mark.parametrize("text", ["我父亲住院了", "亲自去营业厅办的", "美女主播推荐的产品", "老师布置的作业"])
def test_words_that_merely_contain_an_address_term_are_not_forms_of_address(text: str) -> None:
    assert match_address_form(normalise(text)) is None


# --- emotions ---


@pytest.mark.parametrize(
    "text, emotion",
    [
        ("气死我了，什么破服务", "anger"),
        ("急死了，明天就要用", "anxiety"),
        ("太失望了，再也不买了", "disappointment"),
        ("我不明白这个扣费是什么意思", "confusion"),
        ("非常满意，给你们点赞", "satisfaction"),
        ("谢谢，辛苦了", "gratitude"),
    ],
)
def test_emotion_cues(text: str, emotion: str) -> None:
    assert emotion in [e["label"] for e in analyse(text).to_dict()["emotions"]]


# --- urgency ---


@pytest.mark.parametrize(
    "text, level",
    [
        ("有人冒充你们客服骗了我五千块", "critical"),
        ("家里断电了，我妈八十岁一个人在家", "critical"),
        ("这是我第三次打电话了，还是没人处理", "high"),
        ("宽带断网两天了", "high"),
        ("建议你们增加夜间客服", "low"),
    ],
)
def test_urgency_levels(text: str, level: str) -> None:
    assert analyse(text).to_dict()["urgency"]["label"] == level


# --- spam and noise ---


@pytest.mark.parametrize(
    "text, reason",
    [
        ("【安全中心】您的账户异常，请点击 http://icbc-verify.xyz/login 认证", "phishing"),
        ("兼职刷单日赚500，加微信abc123", "scam"),
        ("网站SEO优化，百度快速排名", "seo"),
        ("同城约炮裸聊", "porn"),
        ("asdkjhqwlkj zxcmnb", "gibberish"),
    ],
)
def test_spam_is_recognised_with_a_reason_and_gets_no_intent_or_voice(text: str, reason: str) -> None:
    d = analyse(text, "sms").to_dict()
    assert d["spam"]["is_spam"] is True
    assert d["spam"]["reason"] == reason
    assert d["intent"] is None and d["voice"] is None


def test_a_customer_mentioning_a_scam_is_not_spam() -> None:
    d = analyse("我被刷单骗了三千块，怎么办？", "chat").to_dict()
    assert d["spam"]["is_spam"] is False
    assert d["urgency"]["label"] == "critical"


def test_email_addresses_are_not_links() -> None:
    d = analyse("请回复到 li.lei@example.com").to_dict()
    assert not [c for c in d["why"]["spam"] if c.get("category") == "url"]  # an e-mail address is no link


def test_a_reply_to_an_email_address_is_not_spam() -> None:
    assert analyse("请回复到 li.lei@example.com").to_dict()["spam"]["is_spam"] is False


# --- entities ---


@pytest.mark.parametrize(
    "text, expected",
    [
        ("花了¥50", ("money", "¥50")),
        ("一共50元", ("money", "50元")),
        ("才五十块", ("money", "五十块")),
        ("等了三天", ("duration", "三天")),
        ("快半个月了", ("duration", "半个月")),
        ("11月20日下的单", ("date", "11月20日")),
        ("手机屏幕坏了", ("product", "手机")),
        ("运单号SF1234567890123", ("tracking_number", "SF1234567890123")),
        ("订单号：2024112012345678", ("order_number", "2024112012345678")),
    ],
)
def test_entities(text: str, expected: tuple[str, str]) -> None:
    assert expected in kinds(text)


# --- sentiment follows the act ---


def test_a_polite_request_with_a_threat_is_negative() -> None:
    assert analyse("麻烦帮我查一下订单，再不处理我就去12315").to_dict()["sentiment"]["label"] == "negative"


def test_praise_is_positive_and_a_plain_question_neutral() -> None:
    assert analyse("客服小姐姐态度特别好，谢谢").to_dict()["sentiment"]["label"] == "positive"
    assert analyse("请问发票在哪里下载？").to_dict()["sentiment"]["label"] == "neutral"


# --- the why ---


def test_why_points_into_the_original_text_even_in_traditional_script() -> None:
    text = "我的快遞還沒到，氣死我了，再不處理就去消協投訴"
    d = analyse(text).to_dict()
    assert d["intent"]["label"] == "logistics"
    for label in ("intent", "escalation", "emotions"):
        assert d["why"][label], label
        for cue in d["why"][label]:
            if "start" in cue:
                assert text[cue["start"] : cue["end"]] == cue["text"]
    assert "消協" in d["escalation"]["cues"]


# --- matcher internals ---


def test_trie_regex_matches_longest_term() -> None:
    import re

    rx = re.compile(trie_regex(["黑猫", "黑猫投诉", "投诉"]))
    assert [m.group() for m in rx.finditer("黑猫投诉和投诉")] == ["黑猫投诉", "投诉"]


def test_cue_matching_is_case_insensitive_for_latin() -> None:
    assert ("esc_legal", 7, 10) in match_cues("I will SUE you")

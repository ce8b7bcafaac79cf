"""The batch paths say exactly what the one-message paths say.

``analyse_many`` takes shortcuts for a batch (cue candidates found with numpy for more than eight messages,
one scan of the joined batch for name cues, the model's reasons built for the whole batch, scores rounded
with numpy); a message must read the same alone and in any batch.
"""

from __future__ import annotations

import json
import random

import numpy as np

from dabai.filter import analyse, analyse_many
from dabai.filter.analysis.reasons import round4
from dabai.filter.entities import ENTITY_RE, find_entities
from dabai.filter.lexicon import (
    _TERM_CATS,
    ADDRESS_FORMS,
    ADDRESS_RE,
    match_address_form,
    match_cues,
    match_cues_many,
)
from dabai.filter.normalise import normalise, normalise_many

MESSAGES = [
    ("", None),
    ("   ", "chat"),
    ("😀😀😀", "wechat"),
    ("美女，快递SF1234567890123三天了还没到，再不处理我就去12315投诉", "weibo"),
    ("我的快遞還沒到，請儘快處理！ＡＢＣ１２３", "chat"),
    ("Hello, my order hasn't arrived. I will SUE you!!!", "email"),
    ("我叫王小明，电话138 1234 5678，身份证11010519491231002X，卡号6222021234567890123", "phone"),
    ("地址是北京市朝阳区建国路88号3号楼2单元501室，寄到这里，邮箱 li.lei@example.com", "chat"),
    ("订单号：202311200001234，退款呢？气死我了，第三次打电话了", "chat"),
    ("加微信 日赚500 刷单兼职 http://t.cn/abc 领取奖品", "sms"),
    ("【系统通知】您的验证码为123456，请勿回复。回T退订", "sms"),
    ("我不会给差评的，放心，谢谢客服小哥哥", "chat"),
    ("不退款我就差评，还要找你们经理，打12345", "weibo"),
    ("老人家急用，断网三天了，一直没人来修，太失望了", "phone"),
    ("asdfghjkl qwertyuiop zxcvbnm", None),
    ("您好老师，请问iPhone坏了能保修吗？上周五买的，花了¥5000", "chat"),
    ("一直一直一直不满意，十分生气，两个半月了", "chat"),
    ("我的快递到底什么时候到？" * 40, "chat"),
]


def _json(analysis) -> str:
    return json.dumps({**analysis.to_dict(), "uncertain": analysis.uncertain}, ensure_ascii=False)


def test_a_message_reads_the_same_alone_in_a_small_batch_and_in_a_large_one():
    alone = [_json(analyse(text, channel)) for text, channel in MESSAGES]
    small = [_json(a) for a in analyse_many(MESSAGES[:5])] + [_json(a) for a in analyse_many(MESSAGES[5:])]
    shuffled = list(enumerate(MESSAGES * 3))
    random.Random(13).shuffle(shuffled)
    large = analyse_many([message for _, message in shuffled])
    assert small == alone
    assert [_json(a) for a in large] == [alone[i % len(MESSAGES)] for i, _ in shuffled]


def test_scores_rounded_for_the_batch_are_the_floats_round_gives():
    rng = np.random.default_rng(4)
    values = np.concatenate(
        (
            rng.random(200_000),
            rng.random(50_000).astype(np.float32),
            (np.round(rng.random(50_000) * 1e4) + 0.5) / 1e4,  # a hair from a tie
            np.array([0.0, 1.0, 0.5, 0.00005, 0.99995, 0.12345, 0.00015]),
        )
    )
    rounded = round4(values)
    expected = [round(v, 4) for v in values.astype(np.float64).tolist()]
    assert [repr(v) for v in rounded] == [repr(v) for v in expected]


def test_a_batch_is_normalised_as_each_text_alone():
    rng = random.Random(5)
    alphabet = [
        *map(chr, range(0x80)),  # control characters, newlines, ASCII
        "\u3000\u2028\u2029\u200b\ufeff\xa0",  # exotic spaces
        *map(chr, range(0xFF00, 0xFF70)),  # full-width forms
        "\ud800\udfff",  # lone surrogates
        "這個產品質量太差了後來發現說話們",  # traditional script
        "😀🔥",
    ]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(2_000)]
    assert normalise_many(texts) == [normalise(text) for text in texts]


def test_the_form_of_address_tried_only_where_a_term_starts_is_what_the_whole_pattern_finds():
    rng = random.Random(3)
    pieces = [
        *ADDRESS_FORMS,
        " ",
        "  ",
        "，",
        "你好",
        "您好",
        "请问",
        "喂",
        "hi",
        "hello",
        "HI",
        "我",
        "帮",
        "在吗",
    ]
    pieces += ["啊", "x", "a", "。", "~", "Dear", "SIR"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 7)))
        m = ADDRESS_RE.search(text)
        expected = (m.group(1), m.start(1), m.end(1)) if m else None
        found = match_address_form(text)
        assert ((found[0], found[2], found[3]) if found else None) == expected, text


def test_cues_found_for_a_batch_are_the_cues_found_in_each_text():
    rng = random.Random(1)
    terms = list(_TERM_CATS)
    letters = [*sorted(set("".join(terms))), "a", "1", " ", "😀"]
    texts = []
    for _ in range(5_000):
        parts = []
        for _ in range(rng.randrange(0, 6)):
            term = rng.choice(terms)
            kind = rng.random()
            if kind < 0.5:
                parts.append(term)
            elif kind < 0.8:  # a term cut short: only a longer term's first characters
                parts.append(term[: rng.randrange(1, len(term) + 1)])
            else:
                parts.append("".join(rng.choice(letters) for _ in range(rng.randrange(1, 4))))
        texts.append("".join(parts))
    for i in range(0, len(texts), 500):
        assert match_cues_many(texts[i : i + 500]) == [match_cues(text, text) for text in texts[i : i + 500]]


def test_entities_tried_only_where_one_can_start_are_what_the_whole_pattern_finds():
    rng = random.Random(2)
    pieces = [
        "上午",
        "上周五",
        "上个月",
        "上个星期",
        "大前天",
        "大后天",
        "这个月底",
        "月初",
        "年底",
        "周",
        "周末",
    ]
    pieces += [
        "星期天",
        "礼拜三",
        "今天",
        "明天",
        "前天",
        "本周",
        "下个月",
        "3天",
        "三天",
        "一直",
        "十分",
        "两个半月",
    ]
    pieces += [
        "一半天",
        "手机",
        "小米",
        "小时",
        "电话",
        "电视",
        "iPhone",
        "IPAD",
        "Kindle",
        "\u017fim卡",
        "\u212aindle",
    ]
    pieces += [
        "¥5",
        "$ 12.5",
        "100块",
        "2,000元",
        "12315",
        "2023-11-20",
        "11月20日",
        "3 days",
        "5 Hours",
        " ",
        "，",
    ]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8)))
        expected = [(m.lastgroup, m.start(), m.end()) for m in ENTITY_RE.finditer(text)]
        assert [(s.kind, s.start, s.end) for s in find_entities(text, [])] == expected, text

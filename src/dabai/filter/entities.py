"""Money, dates, durations and product mentions.

These are cheap regular expressions; they exist so an agent sees "¥50", "三天" or "11月20日" highlighted and a
report can aggregate them.  Dates win over durations where both match ("11月" in "11月20日" is not a
month-long wait).
"""

from __future__ import annotations

import re

from .lexicon import trie_regex
from .pii import Span, _dedupe

_CN_NUM = "零〇一二两三四五六七八九十百千万几半"
# Runs of digits are bounded: an unbounded ``[0-9]+`` before a unit that never comes is retried from every
# digit of a long run (a message of 20,000 digits took minutes); no real amount or duration is that long.
MONEY_RE = re.compile(
    r"[¥￥$]\s?[0-9]{1,18}(?:,[0-9]{3}){0,6}(?:\.[0-9]{1,8})?"
    r"|[0-9]{1,18}(?:,[0-9]{3}){0,6}(?:\.[0-9]{1,8})?\s?(?:元|块钱|块|rmb|RMB|人民币|美元|美金|刀|yuan|dollars?)"
    r"|[零一二两三四五六七八九十百千万]{1,12}(?:块钱|块|元|毛钱)"
)
DATE_RE = re.compile(
    r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"
    r"|(?:[0-9]{2,4}年)?[0-9]{1,2}月[0-9]{1,2}[日号]?"
    r"|(?:[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}[日号])"
    r"|今天|昨天|前天|明天|后天|大前天|上周[一二三四五六日天]?|下周[一二三四五六日天]?|本周[一二三四五六日天]?"
    r"|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|上个月|这个月|下个月|月底|月初|年底"
)
DURATION_RE = re.compile(
    r"(?:[0-9]{1,18}|[" + _CN_NUM + r"]{1,4})(?:个)?多?(?:半)?(?:天|周|星期|个月|个多月|年|小时|钟头|分钟)"
    r"|半个?(?:月|小时|天|年)"
    r"|[0-9]{1,18}\s?(?:days?|weeks?|months?|hours?|minutes?)",
    re.I,
)
PRODUCTS = tuple(
    " ".join(
        (
            "手机 宽带 光猫 路由器 套餐 流量 话费 会员 VIP 冰箱 洗衣机 空调 电视 耳机",
            "充电器 充电宝 笔记本 电脑 平板 手表 相机 热水器 油烟机 微波炉 电饭煲 扫地机 吸尘器 外卖",
            "信用卡 储蓄卡 电费 水费 燃气 衣服 鞋子 裙子 外套 化妆品 面膜 奶粉 纸尿裤",
            "iPhone iPad MacBook AirPods 华为 小米 OPPO vivo 荣耀 Mate 机顶盒 SIM卡 电话卡 洗碗机",
            "净水器 Kindle 显示器 键盘 鼠标",
        )
    ).split()
)
PRODUCT_RE = re.compile(trie_regex(sorted({p.lower() for p in PRODUCTS})), re.I)

# One pass for all four kinds; at a given position money beats date beats duration beats product.
ENTITY_RE = re.compile(
    "|".join(
        f"(?P<{kind}>{rx.pattern})"
        for kind, rx in (
            ("money", MONEY_RE),
            ("date", DATE_RE),
            ("duration", DURATION_RE),
            ("product", PRODUCT_RE),
        )
    ),
    re.I,
)


# Every character an entity can start with (the alternatives above, products in both cases).  Matching only
# where one of them occurs finds what ``ENTITY_RE.finditer`` finds, at a fraction of the cost: the big
# alternation is not tried at every position of a Chinese sentence.  One character class, so the scan runs at
# the regex engine's character-set speed; common characters that start only a date word (上 in 上周, not in
# 上午) or a product are tried only with the first two characters of one.
_DATE_HEADS = frozenset(
    (
        "今天",
        "昨天",
        "前天",
        "明天",
        "后天",
        "大前",
        "上周",
        "下周",
        "本周",
        "星期",
        "礼拜",
        "上个",
        "这个",
        "下个",
    )
) | frozenset(("月底", "月初", "年底", *("周" + day for day in "一二三四五六日天")))
_DATE_FIRST = frozenset(head[0] for head in _DATE_HEADS)
_FIRST = re.compile(
    "["
    + "".join(
        re.escape(c)
        for c in sorted(
            set("¥￥$0123456789" + _CN_NUM)
            | _DATE_FIRST
            | {p[0].lower() for p in PRODUCTS}
            | {p[0].upper() for p in PRODUCTS}
        )
    )
    + "]",
    re.I,
)
assert not set("今昨前明后大上下本周星礼这月年") & (set(_CN_NUM) | {p[0] for p in PRODUCTS})
assert min(map(len, PRODUCTS)) >= 2 and not set(_CN_NUM) & {p[0] for p in PRODUCTS}


# An entity that starts with a digit has a unit, a date mark or a separator as its first non-digit character:
# a run of digits followed by anything else (an order or phone number) cannot hold the start of one.
_AFTER_DIGITS = frozenset("元块人美刀年月日号-/.,个多半天周星小钟分rRyYdDwWmMhH")
_DIGIT_RUN = re.compile("[0-9]+")
# The same for Chinese numerals (一直, 十分, 三四): an amount, a date or a duration written with them goes on
# with a unit or a date mark; 半 inside a run is followed by a numeral, which starts none of them.
_AFTER_NUMERALS = frozenset("块元毛月个多天周星年小钟分")
_NUMERAL_RUN = re.compile("[" + _CN_NUM + "]+")
# A Chinese product name is tried only where its first two characters are (电 starts 电视 but also 电话号码,
# 小 starts 小米 but also 小时): no other kind of entity starts with those characters, and they have no case.
_PRODUCT_HEADS = frozenset(p[:2] for p in PRODUCTS if not p[0].isascii())
_PRODUCT_FIRST = frozenset(head[0] for head in _PRODUCT_HEADS)
assert not any(c.isascii() or c.lower() != c.upper() for head in _PRODUCT_HEADS for c in head)
_WORD_HEADS = _PRODUCT_HEADS | _DATE_HEADS  # their first characters are apart (asserted above)
_WORD_FIRST = _PRODUCT_FIRST | _DATE_FIRST


def find_entities(norm: str, codes: list[Span]) -> list[Span]:
    """Typed entity spans (codes first, then money, dates, durations, products), non-overlapping."""
    spans = list(codes)
    search, match = _FIRST.search, ENTITY_RE.match
    pos = 0
    while (c := search(norm, pos)) is not None:  # leftmost, non-overlapping: as ENTITY_RE.finditer
        i = c.start()
        ch = norm[i]
        if "0" <= ch <= "9":
            run_end = _DIGIT_RUN.match(norm, i).end()  # type: ignore[union-attr]
            after = norm[run_end : run_end + 1]
            if not after or (after not in _AFTER_DIGITS and not after.isspace()):
                pos = run_end
                continue
        elif ch in _CN_NUM:
            run_end = _NUMERAL_RUN.match(norm, i).end()  # type: ignore[union-attr]
            if norm[run_end : run_end + 1] not in _AFTER_NUMERALS:
                pos = run_end
                continue
        elif ch in _WORD_FIRST and norm[i : i + 2] not in _WORD_HEADS:  # no product or date word here
            pos = i + 1
            continue
        m = match(norm, i)
        if m is None:
            pos = i + 1
            continue
        spans.append(Span(m.lastgroup or "", i, m.end()))
        pos = m.end()  # every alternative matches at least one character
    return _dedupe(spans) if codes else spans

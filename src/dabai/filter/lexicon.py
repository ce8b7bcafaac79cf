"""Cue lexicons and the single-pass matcher over them.

Why lexicons: escalation threats, emotions, urgency triggers and forms of address are closed, nameable sets of
phrases; a curated list beats a learner trained on a few thousand messages, and it gives the "why" spans for
free.  All terms of all categories are compiled into *one* trie-shaped regular expression, so a message is
scanned once, whatever the number of terms.
"""

from __future__ import annotations

import re

import numpy as np


def _w(*parts: str) -> tuple[str, ...]:
    """Space-separated terms → tuple (``_`` joins the words of a multi-word cue)."""
    return tuple(t.replace("_", " ") for t in " ".join(parts).split())


CUES: dict[str, tuple[str, ...]] = {
    # Escalation: regulators, media/internet, lawyers/courts, chargebacks, complaint platforms.
    "esc_regulator": _w(
        "12315 12345 工信部 工业和信息化部 消协 消费者协会 消保委 市场监管 市场监督管理 工商局 银保监",
        "银监会 金融监管 通管局 通信管理局 物价局 电监会 能源局 315 三一五 投诉到上面 向上级投诉",
        "主管部门 regulator FCC consumer_protection",
    ),
    "esc_media": _w(
        "电视台 曝光 发到网上 发网上 挂到网上 挂网上 媒体 记者 上热搜 发微博 发抖音 发朋友圈 发小红书",
        "网上曝光 让大家都看看 go_viral news_media journalist",
    ),
    "esc_legal": _w(
        "律师 法院 起诉 诉讼 打官司 仲裁 法律途径 法律手段 报警 公安 律师函 走法律 lawyer court sue",
        "lawsuit legal_action attorney",
    ),
    "esc_chargeback": _w(
        "拒付 银行申诉 信用卡争议 撤销交易 止付 退单申诉 chargeback dispute_the_charge",
    ),
    "esc_platform": _w(
        "黑猫投诉 黑猫 聚投诉 人民网留言 领导留言板 消费保 21cn聚投诉",
        "投诉到平台 投诉平台 平台投诉 平台介入 小二介入 淘宝介入 天猫介入 京东介入 拼多多介入 申请介入",
        "找淘宝 找天猫 找京东 找平台 淘宝客服投诉 举报 我要举报 我要投诉 要投诉你们 投诉你们 投诉你",
        "找你们领导 找领导 找你们经理 找经理 找你们主管 找主管 叫你们领导 叫你们经理 升级投诉",
    ),
    # E-commerce's own lever: the public review.
    "esc_review": _w(
        "差评 给差评 打差评 给个差评 中评 一星 一颗星 一分 追评 曝光评价 bad_review one_star 1_star",
    ),
    # Domain vocabulary for intent (features for the learner: they generalise beyond the training phrasings).
    "int_billing": _w(
        "话费 扣费 扣款 扣了 账单 发票 充值 余额 套餐费 月租 资费 收费 费用 付款 支付 续费 分期 手续费 开票",
        "抬头 多收 到账 退费 价格 优惠券 账户余额 charge charged bill billing invoice payment fee",
    ),
    "int_logistics": _w(
        "快递 物流 发货 签收 包裹 配送 送货 派送 驿站 快递员 快递柜 运输 中转 单号 运单 顺丰 中通 圆通 申通",
        "韵达 京东物流 到货 收货地址 送到 寄 催件 自提 上门送",
        "delivery parcel package shipping courier tracking ship",
    ),
    "int_refund_return": _w(
        "退款 退货 换货 退钱 退回 七天无理由 退换 售后退 取件 退货地址 退款进度 运费险 驳回 refund return",
        "returned exchange",
    ),
    "int_account": _w(
        "账号 帐号 账户 密码 登录 登陆 验证码 实名 认证 积分 会员等级 绑定 解绑 换绑 封号 解封 注册 昵称",
        "找回 被盗 盗号 用户名 两步验证 account password login log_in sign_in locked hacked",
    ),
    "int_product_quality": _w(
        "质量 坏了 故障 划痕 做工 保修 质保 维修 假货 正品 掉色 缩水 异味 噪音 发烫 黑屏 破损 次品 翻新",
        "瑕疵 检测 配件 零件 耐用 结实 粗糙 返修 quality broken defective warranty repair fake cracked",
    ),
    "int_outage": _w(
        "断网 停电 信号 宕机 网速 掉线 上不了网 宽带 光猫 基站 抢修 报修 恢复供电 停水 服务器 崩了 系统故障",
        "网络故障 线路 来电 断电 没网 维护 outage internet power signal network broadband down",
    ),
    "int_service_attitude": _w(
        "客服 态度 人工 工作人员 回电 挂电话 踢皮球 敷衍 机器人 工号 主管 排队 没人接 服务员 营业厅 培训",
        "耐心 礼貌 爱答不理 专属客服 投诉结果 agent staff rude supervisor support",
    ),
    "int_cancellation": _w(
        "取消 退订 销户 解约 注销 拆机 违约金 停机保号 合约 退订业务 取消订单 取消预约 降档 取消订阅 挽留",
        "cancel cancellation unsubscribe terminate contract membership",
    ),
    "int_usage_inquiry": _w(
        "怎么用 怎么设置 设置 教程 说明书 功能 操作 连接 蓝牙 WiFi wifi 使用 界面 按钮 模式 引导 怎么开启",
        "出厂设置 备份 切换 老年模式 字体 使用说明 操作指南",
        "setup set_up manual tutorial settings how_to connect",
    ),
    # Voice markers.
    "voi_question": _w(
        "吗 么 怎么 如何 为什么 为啥 哪里 哪 几 多久 多少 什么时候 是否 能不能 可不可以 可以吗 有没有 是不是",
        "请问 怎么办理 如何办理 how what why when where which is_there can_i does",
    ),
    "voi_request": _w(
        "请 麻烦 帮我 帮忙 给我 我要 我想要 尽快 赶紧 安排 请帮我 帮我把 please could_you can_you i_want",
    ),
    "voi_suggestion": _w(
        "建议 希望 最好 要是能 如果能 应该 能不能增加 可以考虑 期待 suggest should would_be_nice hope",
    ),
    "voi_praise": _w(
        "好评 点赞 表扬 满意 感谢 不错 给力 很棒 太棒 靠谱 专业 辛苦了 好用 推荐 放心 顺利 及时 great thanks",
        "excellent love helpful",
    ),
    "voi_complaint": _w(
        "太差 根本 一直 还没 凭什么 居然 都不 也不 不给 拖 坏了 没人 乱 莫名其妙 不解决 投诉 太慢 结果",
        "still never nobody terrible worst",
    ),
    # Emotions.
    "emo_anger": _w(
        "气死 气死我了 愤怒 太过分 过分 什么破 破玩意 垃圾 恶心 滚 忍无可忍 岂有此理 火大 坑人 坑爹",
        "骗子 无耻 流氓 太坑 有病 脑子 欺负人 欺人太甚 受够了 一肚子火 王八蛋 混蛋 他妈 tmd TMD 操",
        "shit ridiculous outrageous furious angry unacceptable 什么玩意 凭什么 搞什么 太离谱 离谱",
        "欺诈",
    ),
    "emo_anxiety": _w(
        "着急 急死 急用 急着 怎么办 担心 快点 赶紧 焦虑 急急急 火急 等着用 马上要 来不及 十万火急",
        "睡不着 害怕 慌 担忧 urgent urgently asap worried anxious hurry",
    ),
    "emo_disappointment": _w(
        "失望 太失望 很失望 本以为 没想到 不过如此 寒心 心寒 算了 不会再买 再也不 再也不会 差评 太差",
        "很差 后悔 白瞎 disappointed disappointing let_down regret",
    ),
    "emo_confusion": _w(
        "不明白 不懂 搞不懂 为什么 怎么回事 什么意思 看不懂 迷糊 不清楚 搞不清 弄不明白 一头雾水 糊涂",
        "没看懂 confused don't_understand what_does_this_mean",
    ),
    "emo_satisfaction": _w(
        "满意 很满意 不错 很好 好评 点赞 靠谱 给力 完美 解决了 很棒 太棒 真棒 专业 及时 好用 喜欢",
        "超赞 赞 五星 great excellent satisfied awesome perfect love_it",
    ),
    "emo_gratitude": _w(
        "谢谢 感谢 多谢 辛苦了 辛苦 麻烦你了 谢啦 3q 感恩 thanks thank 谢了 非常感谢",
    ),
    # Urgency triggers.
    "urg_money": _w(
        "被骗 盗刷 被盗 扣款 被扣 乱扣费 扣了我 钱没了 多扣 重复扣款 莫名扣费 扣费 资金 转账 被刷",
        "冒用 unauthorized charged_twice",
    ),
    "urg_fraud": _w(
        "诈骗 骗子 冒充 钓鱼 骗了 骗钱 被骗了 fraud scam scammed phishing 盗号 被盗号",
    ),
    "urg_cutoff": _w(
        "停机 断网 停电 断电 没电 没网 没信号 打不通 无法上网 停水 断水 上不了网 停服 宕机 挂了 崩了",
        "瘫痪 用不了 登不上 service_down outage no_signal no_internet power_cut",
    ),
    "urg_vulnerable": _w(
        "老人 老年人 我妈 我爸 老母亲 老父亲 八十岁 七十岁 九十岁 残疾 孕妇 病人 住院 医院 看病 透析",
        "呼吸机 瘫痪在床 独居 elderly disabled hospital pregnant",
    ),
    "urg_repeat": _w(
        "第三次 第二次 第四次 第五次 又打 打了好几次 好几次 多次 反复 一直没人 说了多少遍 再次 无数次",
        "N次 好多次 三番五次 每次都 又来 还是没 again_and_again third_time several_times repeatedly",
    ),
    # Spam and noise.
    "spam_seo": _w(
        "SEO 快速排名 网站优化 百度排名 代发外链 关键词排名 seo优化 包上首页",
    ),
    "spam_porn": _w(
        "裸聊 约炮 成人 色情 一夜情 小姐上门 上门服务 激情 av 同城约 美女主播 看片",
    ),
    "spam_scam": _w(
        "刷单 兼职 日赚 日结 日入 加微信 加V 加v 加扣 薇信 代开发票 贷款秒批 无抵押 博彩 澳门 百家乐",
        "彩票 赌场 网赚 躺赚 返利 高佣 宝妈 点赞员 打字员 手工活 中奖 领取奖品 恭喜您获得 免费领取",
        "点击领取 验证码 账户异常 冻结 安全中心 紧急通知 扫码 二维码 稳赚 内幕 股票群 荐股 收益翻倍",
        "work_from_home earn_$",
    ),
    "spam_auto": _w(
        "自动回复 退订回T 回T退订 回TD退订 本短信 系统通知 此邮件由系统 请勿回复 do_not_reply unsubscribe",
        "验证码为 您的验证码 noreply 已签收 派件中 【",
    ),
}

# Form of address for the agent, with register (respectful / familiar / inappropriate).
ADDRESS_FORMS: dict[str, str] = {
    "老师": "respectful",
    "师傅": "respectful",
    "客服": "respectful",
    "客服同志": "respectful",
    "同志": "respectful",
    "工作人员": "respectful",
    "您好客服": "respectful",
    "专员": "respectful",
    "经理": "respectful",
    "先生": "respectful",
    "女士": "respectful",
    "美女": "familiar",
    "小姑娘": "familiar",
    "姑娘": "familiar",
    "老妹儿": "familiar",
    "老妹": "familiar",
    "老铁": "familiar",
    "亲": "familiar",
    "亲亲": "familiar",
    "亲爱的": "familiar",
    "服务员": "familiar",
    "小哥": "familiar",
    "小哥哥": "familiar",
    "小姐姐": "familiar",
    "帅哥": "familiar",
    "妹子": "familiar",
    "小妹": "familiar",
    "大姐": "familiar",
    "大哥": "familiar",
    "姐": "familiar",
    "哥们": "familiar",
    "兄弟": "familiar",
    "宝": "familiar",
    "宝宝": "familiar",
    "小姐": "inappropriate",
    "喂喂": "inappropriate",
    "傻逼": "inappropriate",
    "傻X": "inappropriate",
    "蠢货": "inappropriate",
    "废物": "inappropriate",
    "小丫头": "inappropriate",
    "丫头": "inappropriate",
    "娘们": "inappropriate",
    "sir": "respectful",
    "madam": "respectful",
    "dear": "familiar",
}


def trie_regex(words: list[str]) -> str:
    """Regex source for an alternation of *words*, factored as a trie.

    Python's ``re`` tries alternatives one after another; factoring common prefixes makes the scan cost
    depend on the text length, not on the number of terms.
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if end else body

    return build(trie)


_TERM_CATS: dict[str, list[str]] = {}
for _cat, _terms in CUES.items():
    for _t in _terms:
        _TERM_CATS.setdefault(_t.lower(), []).append(_cat)

_BY_FIRST: dict[str, list[str]] = {}
for _t in sorted(_TERM_CATS):
    _BY_FIRST.setdefault(_t[0], []).append(_t)
# Dispatch on the first character: a C-speed search finds candidate positions, then a small trie regex per
# first character matches there.  One big alternation would try hundreds of branches at every position.
_FIRST_RE = re.compile("[" + "".join(re.escape(c) for c in _BY_FIRST) + "]")
_TAIL_RE = {c: re.compile(trie_regex(terms)) for c, terms in _BY_FIRST.items()}
_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
# Address forms count only where they address someone: at the start, after a greeting or punctuation, and
# followed by punctuation, a greeting or the start of a request.
ADDRESS_RE = re.compile(
    r"(?:^|(?<=[\s,，。.!！?？:：~、…@])|(?<=你好)|(?<=您好)|(?<=请问)|(?<=喂)|(?<=hi)|(?<=hello))\s*("
    + trie_regex(sorted(ADDRESS_FORMS, key=len, reverse=True))
    + r")(?=[\s,，。.!！?？:：~、…]|啊|呀|你好|您好|请问|在吗|在不在|在不|我|帮|能|可以|麻烦|问|$)",
    re.I,
)


_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# A cheap filter before the tail regex: the first two characters of every longer term, and the one-character
# terms.  Most candidate positions (common characters such as 不, 我, 一) fail it.
_PREFIX2 = frozenset(t[:2] for t in _TERM_CATS if len(t) > 1)
_SINGLE = frozenset(t for t in _TERM_CATS if len(t) == 1)


def match_cues(norm: str, low: str | None = None) -> list[tuple[str, int, int]]:
    """All cue hits as ``(category, start, end)``, leftmost-longest, non-overlapping, case-insensitive.

    *low* is *norm* ASCII lower-cased, if the caller has it already.
    """
    if low is None:
        low = norm.translate(_ASCII_LOWER)  # length-preserving, unlike str.lower()
    hits: list[tuple[str, int, int]] = []
    search = _FIRST_RE.search
    alnum = _ASCII_ALNUM
    pos = 0
    n = len(low)
    while (m := search(low, pos)) is not None:
        i = m.start()
        if low[i : i + 2] not in _PREFIX2 and low[i] not in _SINGLE:
            pos = i + 1
            continue
        mm = _TAIL_RE[low[i]].match(low, i)
        if mm is None:
            pos = i + 1
            continue
        e = mm.end()
        pos = e
        # Latin words and numbers (12315) count only as whole tokens, not inside "012315x" or "anywhere".
        if i > 0 and low[i] in alnum and low[i - 1] in alnum:
            continue
        if e < n and low[e - 1] in alnum and low[e] in alnum:
            continue
        for cat in _TERM_CATS[mm.group()]:
            hits.append((cat, i, e))
    return hits


def _packed_keys(terms: frozenset[str]) -> np.ndarray:
    return np.array(
        sorted(sum(ord(c) << 21 * (len(t) - 1 - j) for j, c in enumerate(t)) for t in terms), np.int64
    )


_PREFIX2_KEYS = _packed_keys(_PREFIX2)
# Per code point: does a one-character term, or a longer term's first character, start with it?  A lookup
# per character of the batch, and the pair keys are searched only where the first character can start one.
_SINGLE_AT = np.zeros(0x110000, dtype=bool)
_SINGLE_AT[[ord(t) for t in _SINGLE]] = True
_PAIR_AT = np.zeros(0x110000, dtype=bool)
_PAIR_AT[[ord(t[0]) for t in _PREFIX2]] = True


def _member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    if not table.size:
        return np.zeros(keys.size, dtype=bool)
    pos = np.minimum(np.searchsorted(table, keys), table.size - 1)
    return table[pos] == keys


def match_cues_many(lows: list[str]) -> list[list[tuple[str, int, int]]]:
    """:func:`match_cues` for a batch of ASCII lower-cased texts, with the same hits.

    The positions where a term can start (its first two characters, or a one-character term) are found for
    the whole batch with numpy; the per-message loop then tries the tail regex only there.
    """
    n = len(lows)
    if n <= 8:  # a few messages: the numpy set-up costs more than it saves
        return [match_cues(low, low) for low in lows]
    lens = np.fromiter(map(len, lows), dtype=np.int64, count=n)
    total = int(lens.sum())
    if not total:
        return [[] for _ in range(n)]
    cps = np.frombuffer("".join(lows).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    ends = np.cumsum(lens)
    cand = _SINGLE_AT[cps]
    first = np.flatnonzero(_PAIR_AT[cps[:-1]])
    cand[first] |= _member(cps[first] << 21 | cps[first + 1], _PREFIX2_KEYS)
    last = ends[lens > 0] - 1  # a pair may not reach into the next message
    cand[last] = _SINGLE_AT[cps[last]]
    at = np.flatnonzero(cand)
    starts = ends - lens
    local = (
        at - np.repeat(starts, np.bincount(np.searchsorted(ends, at, side="right"), minlength=n))
    ).tolist()
    bounds = np.searchsorted(at, ends).tolist()
    out: list[list[tuple[str, int, int]]] = []
    alnum = _ASCII_ALNUM
    lo = 0
    for low, hi in zip(lows, bounds, strict=True):
        hits: list[tuple[str, int, int]] = []
        pos = 0
        size = len(low)
        for i in local[lo:hi]:
            if i < pos:
                continue
            mm = _TAIL_RE[low[i]].match(low, i)
            if mm is None:
                continue
            e = mm.end()
            pos = e
            if i > 0 and low[i] in alnum and low[i - 1] in alnum:
                continue
            if e < size and low[e - 1] in alnum and low[e] in alnum:
                continue
            for cat in _TERM_CATS[mm.group()]:
                hits.append((cat, i, e))
        out.append(hits)
        lo = hi
    return out


# A lever the customer says they will *not* pull ("我不会给差评的", "放心不会投诉") is not a threat.
# The negator must sit just before the cue with no condition in between: "不退款我就差评" is a threat.
_NEGATED_BEFORE = re.compile(
    r"(?:不|没|没有|别|不会|不想|不打算|不至于|不用|并不|绝不|也不)[会想给打去要]?[给打去要]?$"
)
_CONDITION = re.compile(r"就|的话|则|否则|不然|要不|再")


def negated(norm: str, start: int) -> bool:
    """Whether the cue starting at *start* is negated by the few characters before it."""
    before = norm[max(0, start - 5) : start]
    for sep in "，。,.!！?？;；\n":
        before = before.rpartition(sep)[2]
    m = _NEGATED_BEFORE.search(before)
    return bool(m) and not _CONDITION.search(before[m.start() :])


_ADDRESS_FIRST = re.compile("[" + "".join(re.escape(t[0]) for t in sorted(ADDRESS_FORMS)) + "]", re.I)


def match_address_form(norm: str) -> tuple[str, str, int, int] | None:
    """The first form of address used for the agent, with its register and span."""
    # A match's term starts at a character a term can start with, after the spaces its match starts in: so
    # the big pattern is tried only there (from the first of those spaces, or one on, where a space before
    # it satisfies the look-behind), not at every position.  The look-behinds still see the text before.
    search, match = _ADDRESS_FIRST.search, ADDRESS_RE.match
    pos = 0
    while (first := search(norm, pos)) is not None:
        i = start = first.start()
        while start and norm[start - 1].isspace():
            start -= 1
        m = match(norm, start) or (match(norm, start + 1) if start < i else None)
        if m is not None:
            term = m.group(1)
            register = ADDRESS_FORMS.get(term) or ADDRESS_FORMS.get(term.lower(), "familiar")
            return term, register, m.start(1), m.end(1)
        pos = i + 1
    return None

"""Text as the search index sees it: normalised (traditional → simplified, full-width → half-width,
lower case) and segmented by jieba into word tokens.

Index and query go through the same functions, so 「退貨」 and 「退货」 meet on the same tokens on every
database.
"""

import re
from functools import lru_cache

import rjieba

from dabai.filter.normalise import normalise

_WORD = re.compile(r"[^\W_]+")

# Words that carry no topic in a customer's question; dropped from queries (never from the index).
_STOPWORD_LINES = (
    "的 了 吗 呢 吧 啊 呀 嘛 哦 哈 么 我 你 您 他 她",
    "它 我们 你们 他们 是 在 有 和 与 就 都 也 要 想 我想 请问",
    "问 怎么 怎么办 怎么样 怎样 如何 什么 为什么 为啥 咋 咋办 一下 这个 那个 这 那",
    "可以 能 能不能 会 还 请 帮 帮我 帮忙 麻烦 一个 下 给 把 被 到",
    "让 得 地 着 过 呗 啦 嗯 喂 你好 您好 谢谢 好 知道 现在 已经",
    "一直 回事 怎么回事 the a an to is are am be i my me how what",
    "do does can could you your of for in on it and or with please why",
    "when where which 哪 哪里 哪儿 里 元 块 个 呢 么 啥",
    "咋整 咋弄 咋搞 咋样 咋回事 肿么 肿么办 怎么搞 怎么弄 怎么整 咋个 该咋办 该怎么办 了吧 啊啊",
)
STOPWORDS = frozenset(word for line in _STOPWORD_LINES for word in line.split())


def fold(text: str) -> str:
    """Normalise for matching; keeps one character per input character when it can (for snippets)."""
    norm = normalise(text)
    lowered = norm.lower()
    return lowered if len(lowered) == len(norm) else norm


# Customers type "退 款" or "网 断 了" (spaces from phone keyboards and pinyin input): inside Chinese text
# whitespace separates nothing, so it is dropped before segmentation.
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def close_cjk_gaps(text: str) -> str:
    """ "退 款" → "退款"; spaces between Latin words (or next to them) stay."""
    return _CJK_GAP.sub("", text)


def _words(pieces: list[str]) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        out.extend(_WORD.findall(piece))
    return out


def index_tokens(text: str) -> list[str]:
    """Tokens stored in the index: jieba's search mode, so long words also yield their parts."""
    return _words(rjieba.cut_for_search(fold(text)))


def query_tokens(folded_text: str) -> list[str]:
    """Content tokens of (already folded) query text, in order, without stopwords or repeats."""
    seen: list[str] = []
    for token in _words(rjieba.cut_for_search(folded_text)):
        if token not in STOPWORDS and token not in seen:
            seen.append(token)
    return seen


@lru_cache(maxsize=4096)
def phrase(word: str) -> tuple[str, ...]:
    """A synonym word as the token sequence the index holds for it: 退钱 → ("退钱",)."""
    return tuple(_words(rjieba.cut(fold(word))))
